from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Staff sign-in: passwords, two factors, lockout, sign-out, each written to the audit trail.

    It stores nothing of its own: the factors are django-otp's and django-otp-webauthn's models,
    the failures django-axes's. It sits above `audit` (which it writes) and below the register.
    """

    name = "accounts"
    verbose_name = "Staff sign-in"

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (connects the sign-in signals to the audit trail)
