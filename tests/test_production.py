"""Production settings, security headers, health check and sign-in throttling."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

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
    script = "from django.test import Client; print(Client().get('/healthz').status_code)"
    unreachable = {**PRODUCTION, "DATABASE_URL": "postgres://postgres@127.0.0.1:1/nowhere"}
    result = manage("shell", "-c", script, env=unreachable)
    assert result.stdout.strip().endswith("503"), result.stdout + result.stderr


@pytest.mark.django_db
def test_healthz_answers_200_over_plain_http_for_any_host(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/healthz", HTTP_HOST="10.0.0.7:8000")
    assert response.status_code == 200
    assert response.content == b"ok\n"


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
        assert "<script" not in content, url
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
