from django.apps import AppConfig


class WorkspaceConfig(AppConfig):
    """The signed-in user's workspace: the home page and the side menu of each role.

    It knows every domain app's pages, so it sits above them; `laowu.core` stays below all."""

    name = "laowu.workspace"
    label = "workspace"
    verbose_name = "工作台"
