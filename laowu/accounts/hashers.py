"""Password hashing: Argon2id with parameters sized for a 2-core server.

Django's defaults (100 MiB, 8 lanes) cost about 380 ms of CPU per login here, so three
logins a second would take more than one of the two cores (issue 7's load test). OWASP's
recommended Argon2id setting (19 MiB, 2 passes, 1 lane) keeps brute force expensive at a
fraction of that. Hashes made with other parameters still verify, and are upgraded to these
at the next successful login (Django's `must_update`).
"""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher


class LaowuArgon2PasswordHasher(Argon2PasswordHasher):
    # The algorithm name stays "argon2": stored hashes carry their own parameters.
    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
