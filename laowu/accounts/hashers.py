"""Password hashing: Argon2id with parameters sized for a 2-core server.

Django's defaults (100 MiB, 8 lanes) cost so much CPU per login that a few logins a second
would take a whole core of a 2-core server (docs/benchmarks/README.md). OWASP's
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
