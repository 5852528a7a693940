"""Settings for the mentorship platform.

Everything that differs between a laptop and production comes from the
environment (see `.env.example`). With nothing set, the project runs on embedded
defaults: an SQLite file, Celery tasks executed in-process, and email printed on
the console (and kept in the outbox table).
"""

from email.utils import parseaddr
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A developer's own settings, if they keep any; real environment variables win.
if (BASE_DIR / ".env").is_file():
    env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DJANGO_DEBUG", default=False)

if DEBUG:
    SECRET_KEY = env(
        "DJANGO_SECRET_KEY",
        default="django-insecure-development-only-key-never-used-in-production",
    )
else:
    try:
        SECRET_KEY = env("DJANGO_SECRET_KEY")
    except ImproperlyConfigured as exc:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off."
        ) from exc

ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS",
    default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else [],
)
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# The public address of the site, used for links in emails sent by workers,
# where there is no request to build an absolute URL from.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    # Django's admin, on the project's site (accounts/admin_site.py).
    "accounts.apps.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "crispy_forms",
    "crispy_bootstrap5",
    "csp",
    "django_countries",
    "simple_history",
    # The project's own apps, in layer order: each may import only those above it.
    "accounts",
    "mentorship",
    "applications",
    "matching",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "mentorship.security.refuse_nul_in_url",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "accounts.middleware.session_refresh_middleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "mentorship.security.no_store_when_signed_in",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Staff reach nothing but the two-factor pages until this session has
    # passed a second factor (after AccountMiddleware, which allauth's pages
    # need, and after sessions, users and messages).
    "accounts.middleware.StaffTwoFactorMiddleware",
    "accounts.middleware.time_zone_middleware",
    # Records who made each change kept in the change history tables.
    "simple_history.middleware.HistoryRequestMiddleware",
]

if not DEBUG:
    # In production the app serves its own static files, compressed and cached
    # forever under hashed names; in development runserver serves them.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "mentorship.urls"
WSGI_APPLICATION = "mentorship.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url(
        "DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
    )
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", 60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # PostgreSQL compiles a query it expects to be costly (the staff
    # dashboard's counts over a cycle) to machine code first: some 20 ms,
    # more than it saves on queries that take tens of milliseconds.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
_VALIDATION = "django.contrib.auth.password_validation"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"{_VALIDATION}.UserAttributeSimilarityValidator"},
    {"NAME": f"{_VALIDATION}.MinimumLengthValidator"},
    {"NAME": f"{_VALIDATION}.CommonPasswordValidator"},
    {"NAME": f"{_VALIDATION}.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

# django-allauth: email is the only way to log in; there are no usernames.
SITE_ID = 1
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
# Changing the password keeps the session it was changed in (allauth then
# calls update_session_auth_hash) and ends every other session of that person:
# Django checks each session's copy of the password hash on every request.
# True would also sign out the person who has just changed it.
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
# Adding, changing or removing an email address asks for the password again
# unless it was given in the last ACCOUNT_REAUTHENTICATION_TIMEOUT seconds
# (allauth's default, five minutes). Views of our own that need the same, such
# as a personal-data download, use allauth.account.decorators'
# `reauthentication_required`.
ACCOUNT_REAUTHENTICATION_REQUIRED = True
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupDetailsForm"
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Virtual Mentors] "
LOGIN_REDIRECT_URL = "home"
LOGIN_URL = "account_login"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Virtual Mentors Program"

# A shared cache on Redis when one is configured: allauth's rate limits count
# attempts in the cache, and per-process memory would let each worker forget.
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
_cache_url = REDIS_URL or (
    CELERY_BROKER_URL if CELERY_BROKER_URL.startswith("redis") else ""
)
if _cache_url:
    CACHES = {
        "default": {
            # With Redis down, each process counts in its own memory until it
            # is back, rather than every login failing (see mentorship/cache.py).
            "BACKEND": "mentorship.cache.RedisCacheWithFallback",
            "LOCATION": _cache_url,
            "KEY_PREFIX": "mentorship",
            # Fail over quickly when Redis hangs rather than hold the request.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Rendered pieces of pages that are the same for everyone (the check-in
# form's fields): each process keeps its own, so a deploy, which restarts the
# processes, never serves the last release's HTML.
CACHES["fragments"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "fragments",
}

# Celery. With no broker configured, tasks run in-process, right where they
# are queued, so the project works with nothing but Python installed.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_IGNORE_RESULT = True
# Our tasks are idempotent, so a task is acknowledged only once it has run and
# is handed to another worker if the one running it dies.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_TASK_TIME_LIMIT = 90
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Redis redelivers an unacknowledged message after the visibility timeout; it
# must be longer than any countdown or ETA we use (the longest is a day).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 2 * 24 * 3600,
    "socket_connect_timeout": 3,
    "socket_timeout": 10,
}
# Queuing a task happens right after a commit, in a request: when the broker is
# down, give up quickly (the outbox sweep sends later) rather than hang.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 1,
}
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    # Every five minutes: send outbox rows left pending (the broker was down or
    # a worker died after the commit) and retry failures whose backoff is over.
    "outbox-sweep": {
        "task": "mentorship.tasks.sweep_outbox",
        "schedule": crontab(minute="*/5"),
    },
    # Every ten minutes: when a cycle has opened, email the people who asked
    # to hear about it. Each person once per cycle, however often it runs.
    "notify-cycle-opened": {
        "task": "mentorship.tasks.notify_cycle_opened",
        "schedule": crontab(minute="*/10"),
    },
    # Hourly: proposed pairings left unanswered past their deadline go back to
    # staff with the reason.
    "expire-unanswered-pairings": {
        "task": "matching.tasks.expire_unanswered_pairings",
        "schedule": crontab(minute=17),
    },
    # Hourly: the monthly reminders due where it is morning now, each person
    # in their own time zone; once per pairing, month and kind, ever.
    "send-reminders": {
        "task": "mentorship.tasks.send_reminders",
        "schedule": crontab(minute=5),
    },
    # Hourly: the weekly digests of those who asked for one, sent on Monday
    # morning in each person's time zone.
    "send-reminder-digests": {
        "task": "mentorship.tasks.send_reminder_digests",
        "schedule": crontab(minute=35),
    },
    # Hourly, not daily: a pairing's year ends at midnight in each of its two
    # people's own time zones, so it closes within the hour after the later
    # of the two midnights, wherever they live.
    "close-pairings": {
        "task": "mentorship.tasks.close_pairings",
        "schedule": crontab(minute=45),
    },
    # Daily: the follow-up survey six months after a pairing closed. A few
    # hours either way make no difference after six months; once ever each.
    "send-follow-up-surveys": {
        "task": "mentorship.tasks.send_follow_up_surveys",
        "schedule": crontab(hour=6, minute=50),
    },
    # Hourly: copies of people's data past their week are deleted from disk,
    # and copies whose building was lost are queued again.
    "sweep-data-exports": {
        "task": "mentorship.tasks.sweep_data_exports",
        "schedule": crontab(minute=25),
    },
    # Daily: declined and withdrawn applications older than the retention
    # period lose their personal data (APPLICATION_RETENTION_DAYS).
    "purge-old-applications": {
        "task": "applications.tasks.purge_old_applications",
        "schedule": crontab(hour=3, minute=10),
    },
}

# Email. Django's mail API writes each message to the outbox table first; the
# outbox then delivers it through OUTBOX_DELIVERY_BACKEND (console by default,
# SMTP when EMAIL_URL or EMAIL_HOST is set).
EMAIL_BACKEND = "mentorship.mail.OutboxEmailBackend"
_email_url = env.str("EMAIL_URL", default="")
if _email_url:
    _email = env.email_url_config(_email_url)
    OUTBOX_DELIVERY_BACKEND = _email.pop("EMAIL_BACKEND")
    globals().update(_email)
elif env.str("EMAIL_HOST", default=""):
    OUTBOX_DELIVERY_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = env.str("EMAIL_HOST")
    EMAIL_PORT = env.int("EMAIL_PORT", default=587)
    EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
    EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
    EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=True)
    EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
else:
    OUTBOX_DELIVERY_BACKEND = "django.core.mail.backends.console.EmailBackend"
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="Virtual Mentors Program <mentors@example.org>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Where alerts for staff go (a pairing at risk): the program's own mailbox.
PROGRAM_STAFF_EMAIL = env.str(
    "PROGRAM_STAFF_EMAIL", default=parseaddr(DEFAULT_FROM_EMAIL)[1]
)
# An email that fails is retried with growing delays, then left for staff.
OUTBOX_MAX_ATTEMPTS = 5
OUTBOX_RETRY_BASE_SECONDS = 60

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# Files people upload (CVs) are private: they live outside any served folder
# and are handed out only by views that check who is asking.
PRIVATE_MEDIA_ROOT = Path(
    env.str("PRIVATE_MEDIA_ROOT", default=str(BASE_DIR / "private_media"))
)
# A declined or withdrawn application's personal data (answers, CV) is kept
# this many days after the decision, then removed by a daily task; staff see
# what is due in the admin beforehand.
APPLICATION_RETENTION_DAYS = env.int("APPLICATION_RETENTION_DAYS", default=365)

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# A session ends after SESSION_COOKIE_AGE seconds without a request: a request
# saves the session, and so starts the count again, when its last save was
# SESSION_REFRESH_SECONDS ago or more (accounts.middleware.session_refresh_
# middleware; saving on every request cost a write on every page). Login
# always starts a new session (Django's login() gives it a new key).
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=12 * 3600)
SESSION_REFRESH_SECONDS = 60
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Content Security Policy (django-csp): the browser runs only the scripts and
# applies only the stylesheets this site serves. Our pages have no inline
# <script> (the `json_script` data blocks do not run), no <style> and no
# style="" (a test checks the main pages and every admin list and add page).
# Django's admin needs nothing more since 4.x: its scripts are files and read
# their data from data- attributes. Two cosmetic exceptions are left to be
# blocked: the <style> Django's change list adds when a model has no actions
# (all of ours have some), and a style="" on django-simple-history's history
# page (a border). A view that needs more says so with a decorator from
# mentorship/security.py, with its reason.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        # Bootstrap draws its form controls' icons with data: SVG images.
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

if not DEBUG:
    # Production sits behind a TLS-terminating proxy that sets this header.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# How long the staff dashboard's counts of a cycle are shared before they are
# counted again (seconds); 0 counts them on every request.
PROGRESS_FIGURES_SECONDS = env.int("PROGRESS_FIGURES_SECONDS", default=60)
# The same for the count of the whole review queue (every application but
# the drafts), which its unfiltered pages show; a filtered or searched page
# counts afresh.
QUEUE_COUNT_SECONDS = env.int("QUEUE_COUNT_SECONDS", default=60)

# A page that does nothing, for `manage.py bench_pages` to compare the site's
# pages with, in the same run on the same server: /bench/minimal/. Off unless
# asked for.
BENCH_MINIMAL_VIEW = env.bool("BENCH_MINIMAL_VIEW", default=False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
