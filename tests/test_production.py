"""Production settings, security headers, health check, sign-in throttling (behind
a proxy too), mail and password reset."""

import ast
import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, RequestFactory, override_settings
from django.urls import NoReverseMatch, clear_url_caches, reverse

import config.urls
from config.settings import env_addresses, env_mail_url
from tests.test_permissions import REPORTS, report_url
from tracker.middleware import forwarded_client_ip

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "DJANGO_DEBUG": "0",
    # Made up for this test: long and varied, as `check --deploy` asks.
    "DJANGO_SECRET_KEY": "q7Vt-2mZ!pR9wK4nB8xJ3hL6cF1sD5gY0aE_uT%oIyW*eU^zN-Lm3Qv8Hs2",
    "DJANGO_ALLOWED_HOSTS": "tracker.example.org",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://tracker.example.org",
    "DJANGO_BEHIND_PROXY": "1",
}


def manage(*args, env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


def production_setting(name, **env):
    """A setting's value as config.settings makes it from the production environment."""
    script = f"from django.conf import settings; print(repr(settings.{name}))"
    result = manage("shell", "--verbosity=0", "-c", script, env={**PRODUCTION, **env})
    assert result.returncode == 0, result.stderr
    return ast.literal_eval(result.stdout.strip())


def test_the_documented_production_environment_passes_check_deploy():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_app_refuses_to_start_without_a_secret_key_when_debug_is_off():
    env = {**PRODUCTION}
    del env["DJANGO_SECRET_KEY"]
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off" in result.stderr


def test_a_bad_boolean_is_refused_by_name():
    result = manage("check", env={**PRODUCTION, "DJANGO_DEBUG": "maybe"})
    assert result.returncode != 0
    assert "DJANGO_DEBUG must be one of" in result.stderr


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("REDIS_URL", "127.0.0.1:6379", "REDIS_URL must be a redis:// URL"),
        ("TRACKER_CACHE_SECONDS", "an hour", "TRACKER_CACHE_SECONDS must be a whole number"),
    ],
)
def test_bad_cache_settings_are_refused_by_name(variable, value, message):
    result = manage("check", env={**PRODUCTION, variable: value})
    assert result.returncode != 0
    assert message in result.stderr


def test_redis_url_selects_the_redis_cache():
    result = manage(
        "shell",
        "--verbosity=0",
        "-c",
        "from django.core.cache import caches; print(type(caches['default']).__name__)",
        env={**PRODUCTION, "REDIS_URL": "redis://127.0.0.1:6379/0"},
    )
    assert result.stdout.strip() == "RedisCache", result.stderr


def test_healthz_answers_503_when_the_database_is_unreachable():
    script = (
        "from django.test import Client; r = Client().get('/healthz'); "
        "print(r.status_code, repr(r.content.decode()))"
    )
    unreachable = {**PRODUCTION, "DATABASE_URL": "postgres://postgres@127.0.0.1:1/nowhere"}
    result = manage("shell", "-c", script, env=unreachable)
    assert result.stdout.strip().endswith(
        "503 'unavailable\\ndatabase: unavailable\\ncache: ok\\n'"
    ), result.stdout + result.stderr


@pytest.mark.django_db
def test_healthz_answers_200_over_plain_http_for_any_host(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/healthz", HTTP_HOST="10.0.0.7:8000")
    assert response.status_code == 200
    assert response.content == b"ok\ndatabase: ok\ncache: ok\n"


@pytest.mark.django_db
def test_pages_send_the_security_headers(client):
    response = client.get(reverse("login"))
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert "'unsafe-inline'" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_report_pages_hold_no_inline_script_or_style(analyst_client, seed):
    for url in (
        "/",
        "/developments/",
        "/recommendations/TSU-2/",
        "/reports/matrix/",
        "/timeline/",
    ):
        content = analyst_client.get(url).content.decode()
        # a script only from a static file (the explorer's actor finder), none inline
        scripts = re.findall(r"<script\b[^>]*>", content)
        assert all(re.search(r' src="/static/[^"]+"', tag) for tag in scripts), (url, scripts)
        assert " style=" not in content and "<style" not in content, url


@pytest.mark.django_db
def test_repeated_wrong_passwords_lock_the_account_out(client, django_user_model):
    django_user_model.objects.create_user("target", password="the-right-password-1")
    for _ in range(5):
        response = client.post(
            reverse("login"), {"username": "target", "password": "wrong"}, REMOTE_ADDR="10.1.1.1"
        )
    assert response.status_code == 429
    assert b"Too many failed sign-ins" in response.content
    response = client.post(
        reverse("login"),
        {"username": "target", "password": "the-right-password-1"},
        REMOTE_ADDR="10.1.1.1",
    )
    assert response.status_code == 429  # even the right password waits out the pause


@pytest.mark.django_db
def test_weak_passwords_are_refused(admin_client):
    response = admin_client.post(
        reverse("admin:auth_user_add"),
        {"username": "newbie", "password1": "password", "password2": "password"},
    )
    assert response.status_code == 200
    assert "This password is too common." in response.content.decode()


def test_collectstatic_writes_compressed_files_with_hashed_names(tmp_path):
    env = {**PRODUCTION, "DJANGO_STATIC_ROOT": str(tmp_path)}
    result = manage("collectstatic", "--noinput", "-v", "0", env=env)
    assert result.returncode == 0, result.stderr
    css = list((tmp_path / "tracker").glob("site.*.css"))
    assert css, "no hashed site.css"
    assert list((tmp_path / "tracker").glob("site.*.css.gz"))
    assert (tmp_path / "staticfiles.json").exists()


# --- Reports stay out of shared caches -------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("url", REPORTS)
def test_reports_exports_and_feeds_are_kept_out_of_shared_caches(analyst_client, seed, url):
    response = analyst_client.get(report_url(url))
    assert response.status_code == 200
    directives = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= directives, response["Cache-Control"]


@pytest.mark.django_db
def test_public_reports_are_not_marked_private(client, seed, settings):
    settings.TRACKER_PUBLIC_REPORTS = True
    for url in REPORTS:
        response = client.get(report_url(url))
        assert response.status_code == 200, url
        assert "private" not in response.get("Cache-Control", ""), url


# --- Sign-in throttling behind a proxy ---------------------------------------------

PROXY_ADDRESS = "10.0.0.2"  # every request reaches the app from the proxy


@pytest.fixture(scope="module")
def client_ip_behind_a_proxy():
    """AXES_CLIENT_IP_CALLABLE as the production environment (DJANGO_BEHIND_PROXY=1) sets it."""
    return production_setting("AXES_CLIENT_IP_CALLABLE")


def sign_in(client, password, forwarded_for):
    return client.post(
        reverse("login"),
        {"username": "target", "password": password},
        REMOTE_ADDR=PROXY_ADDRESS,
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )


@pytest.mark.django_db
def test_behind_a_proxy_wrong_passwords_lock_out_only_their_client(
    client_ip_behind_a_proxy, django_user_model
):
    django_user_model.objects.create_user("target", password="the-right-password-1")
    with override_settings(AXES_CLIENT_IP_CALLABLE=client_ip_behind_a_proxy):
        attacker = Client()
        for i in range(5):
            # The left of the header is the attacker's to write; the proxy appends the truth.
            response = sign_in(attacker, "wrong", forwarded_for=f"192.0.2.{i}, 203.0.113.66")
        assert response.status_code == 429
        assert sign_in(attacker, "the-right-password-1", "203.0.113.66").status_code == 429

        response = sign_in(Client(), "the-right-password-1", forwarded_for="198.51.100.7")
        assert response.status_code == 302  # signed in
        assert response["Location"] == reverse("tracker:dashboard")


@pytest.mark.django_db
def test_without_a_proxy_x_forwarded_for_is_ignored(django_user_model):
    assert production_setting("AXES_CLIENT_IP_CALLABLE", DJANGO_BEHIND_PROXY="0") is None
    assert django_settings.AXES_CLIENT_IP_CALLABLE is None  # the tests' own settings
    django_user_model.objects.create_user("target", password="the-right-password-1")
    for i in range(5):
        response = sign_in(Client(), "wrong", forwarded_for=f"198.51.100.{i}")
    assert response.status_code == 429
    # A client cannot pick a fresh address by sending the header: it is still locked out.
    assert sign_in(Client(), "the-right-password-1", "203.0.113.9").status_code == 429


@pytest.mark.parametrize(
    ("forwarded_for", "address"),
    [
        ("203.0.113.66", "203.0.113.66"),
        ("192.0.2.1, 203.0.113.66", "203.0.113.66"),
        ("192.0.2.1,2001:db8::1", "2001:db8::1"),
        ("", PROXY_ADDRESS),  # not through the proxy: the connection's address
        ("192.0.2.1, unknown", PROXY_ADDRESS),
    ],
)
def test_the_client_address_is_the_one_the_proxy_appended(forwarded_for, address):
    request = RequestFactory().get(
        "/", REMOTE_ADDR=PROXY_ADDRESS, HTTP_X_FORWARDED_FOR=forwarded_for
    )
    assert forwarded_client_ip(request) == address


# --- Mail and password reset -------------------------------------------------------


def build_urls(sends_mail: bool) -> None:
    with override_settings(TRACKER_SENDS_MAIL=sends_mail):
        importlib.reload(config.urls)  # the URLs are built once, as the settings say
    clear_url_caches()


@pytest.fixture
def urls_built_with():
    yield build_urls
    build_urls(django_settings.TRACKER_SENDS_MAIL)


@pytest.mark.django_db
def test_password_reset_is_not_offered_without_mail(client, urls_built_with):
    urls_built_with(sends_mail=False)
    assert client.get("/accounts/password_reset/").status_code == 404
    assert client.get("/accounts/reset/MQ/set-password/").status_code == 404
    with pytest.raises(NoReverseMatch):
        reverse("password_reset")
    assert client.get(reverse("login")).status_code == 200


@pytest.mark.django_db
def test_password_reset_mails_a_link_when_mail_is_configured(
    client, urls_built_with, django_user_model
):
    urls_built_with(sends_mail=True)
    django_user_model.objects.create_user("ana", "ana@example.org", "a-long-test-password")
    assert client.get("/accounts/password_reset/").status_code == 200
    response = client.post("/accounts/password_reset/", {"email": "ana@example.org"})
    assert response.status_code == 302
    assert [message.to for message in mail.outbox] == [["ana@example.org"]]
    assert "/accounts/reset/" in mail.outbox[0].body


def test_the_example_production_environment_sends_no_mail():
    assert production_setting("TRACKER_SENDS_MAIL") is False


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "smtp+tls://tracker%40example.org:p%2Fss@smtp.example.org",
            {
                "EMAIL_HOST": "smtp.example.org",
                "EMAIL_PORT": 587,
                "EMAIL_HOST_USER": "tracker@example.org",
                "EMAIL_HOST_PASSWORD": "p/ss",
                "EMAIL_USE_TLS": True,
            },
        ),
        ("smtps://smtp.example.org", {"EMAIL_PORT": 465, "EMAIL_USE_SSL": True}),
        ("smtp://localhost:2525", {"EMAIL_HOST": "localhost", "EMAIL_PORT": 2525}),
        ("console://", {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}),
    ],
)
def test_the_mail_url_gives_django_its_email_settings(monkeypatch, url, expected):
    monkeypatch.setenv("DJANGO_EMAIL_URL", url)
    found = env_mail_url("DJANGO_EMAIL_URL")
    assert found.items() >= expected.items()


@pytest.mark.parametrize(
    "url", ["http://smtp.example.org", "smtp+tls://ana:s3cret@smtp.example.org:twenty", "smtps://"]
)
def test_a_bad_mail_url_is_refused_by_name_without_its_password(monkeypatch, url):
    monkeypatch.setenv("DJANGO_EMAIL_URL", url)
    with pytest.raises(ImproperlyConfigured, match="DJANGO_EMAIL_URL must") as refused:
        env_mail_url("DJANGO_EMAIL_URL")
    assert "s3cret" not in str(refused.value)


def test_mail_needs_a_sender_address():
    result = manage("check", env={**PRODUCTION, "DJANGO_EMAIL_URL": "smtps://smtp.example.org"})
    assert result.returncode != 0
    assert "DJANGO_EMAIL_FROM must be set when DJANGO_EMAIL_URL is" in result.stderr


# --- Error mail --------------------------------------------------------------------


def test_django_admins_reads_named_and_bare_addresses(monkeypatch):
    monkeypatch.setenv("DJANGO_ADMINS", "Ana <ana@example.org>, bob@example.org")
    assert env_addresses("DJANGO_ADMINS") == [
        ("Ana", "ana@example.org"),
        ("bob@example.org", "bob@example.org"),
    ]


@pytest.mark.parametrize(
    "value", ["ana", "Ana <ana@>", "ana@example.org; bob@example.org", "Ana ana@example.org"]
)
def test_a_bad_django_admins_is_refused_by_name(monkeypatch, value):
    monkeypatch.setenv("DJANGO_ADMINS", value)
    with pytest.raises(ImproperlyConfigured, match="DJANGO_ADMINS must be"):
        env_addresses("DJANGO_ADMINS")


def test_django_admins_are_read_at_start_up_and_a_bad_one_stops_it():
    mail_env = {
        "DJANGO_EMAIL_URL": "smtp+tls://smtp.example.org",
        "DJANGO_EMAIL_FROM": "tracker@example.org",
    }
    admins = "Ana <ana@example.org>,bob@example.org"
    assert production_setting("ADMINS", DJANGO_ADMINS=admins, **mail_env) == [
        ("Ana", "ana@example.org"),
        ("bob@example.org", "bob@example.org"),
    ]
    result = manage("check", env={**PRODUCTION, **mail_env, "DJANGO_ADMINS": "ana at example"})
    assert result.returncode != 0
    assert "DJANGO_ADMINS must be comma-separated addresses" in result.stderr
    result = manage("check", env={**PRODUCTION, "DJANGO_ADMINS": admins})
    assert result.returncode != 0
    assert "DJANGO_ADMINS needs DJANGO_EMAIL_URL" in result.stderr
