from django.apps import AppConfig


class ScaleDataConfig(AppConfig):
    """Province-scale synthetic data for the benchmarks (`manage.py generate_scale_data`).

    It writes every domain's tables, so it sits above the domain apps. It has no models and
    stays installed: `scripts/bench_scale.py` runs the command under the ordinary settings,
    and the command itself refuses to run unless LAOWU_DEMO_DATA_ALLOWED is set."""

    name = "laowu.scaledata"
    label = "scaledata"
    verbose_name = "规模测试数据"
