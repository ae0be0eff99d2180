"""The audit trail's public side: the signed checkpoints, the hash-only chain, the page that
explains them, the standalone checker, and the checkpoint in the feed and in every PDF."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from io import BytesIO
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from django.conf import settings
from django.urls import reverse
from pypdf import PdfReader

from audit import signing
from audit.models import AuditCheckpoint, AuditEvent
from audit.selectors import checkpoint_summary

pytestmark = pytest.mark.django_db
SCRIPT = Path(settings.BASE_DIR) / "docs" / "verify_checkpoints.py"


def _get_json(client: Any, name: str) -> dict[str, Any]:
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return json.loads(response.content)


def test_the_checkpoints_are_public_with_the_key_that_checks_them(client, approved_trial):
    document = _get_json(client, "public:audit_checkpoints_json")
    assert document["algorithm"] == "Ed25519"
    assert document["public_key"] == signing.public_key().hex()
    assert "BEGIN PUBLIC KEY" in document["public_key_pem"]
    published = document["checkpoints"]
    assert published == [c.as_public() for c in AuditCheckpoint.objects.order_by("id")]
    assert published[-1]["size"] >= 1


def test_the_chain_export_has_hashes_only_never_what_an_event_says(client, approved_trial):
    document = _get_json(client, "public:audit_chain_json")
    assert document["size"] == AuditEvent.objects.count()
    assert {tuple(sorted(e)) for e in document["events"]} == {
        ("digest", "hash", "n", "prev_hash", "v")
    }
    body = json.dumps(document)
    for event in AuditEvent.objects.all():
        assert event.action not in body
        assert event.salt not in body
    assert approved_trial.reference not in body


def _download(client: Any, folder: Path) -> tuple[Path, Path]:
    checkpoints = folder / "audit-checkpoints.json"
    chain = folder / "audit-chain.json"
    checkpoints.write_bytes(client.get(reverse("public:audit_checkpoints_json")).content)
    chain.write_bytes(client.get(reverse("public:audit_chain_json")).content)
    return checkpoints, chain


def _check(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # Run from an empty folder with a clean path: the script must need nothing of the project.
    script = folder / "verify_checkpoints.py"
    script.write_bytes(SCRIPT.read_bytes())
    return subprocess.run(
        [sys.executable, "-I", str(script), *args],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_standalone_script_verifies_the_published_files_with_the_public_key_alone(
    client, reported_trial, tmp_path
):
    checkpoints, chain = _download(client, tmp_path)
    key = signing.public_key().hex()
    result = _check(tmp_path, "--public-key", key, "--chain", str(chain), str(checkpoints))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "intact" in result.stdout


def test_the_standalone_script_finds_a_cut_or_a_rewrite(client, approved_trial, tmp_path):
    checkpoints, chain = _download(client, tmp_path)
    key = signing.public_key().hex()
    document = json.loads(chain.read_text())

    cut = dict(document, events=document["events"][:-1])
    chain.write_text(json.dumps(cut))
    result = _check(tmp_path, "--public-key", key, "--chain", str(chain), str(checkpoints))
    assert result.returncode == 1
    assert "removed from the end" in result.stdout

    rewritten = json.loads(json.dumps(document))
    rewritten["events"][0]["digest"] = "0" * 64
    chain.write_text(json.dumps(rewritten))
    result = _check(tmp_path, "--public-key", key, "--chain", str(chain), str(checkpoints))
    assert result.returncode == 1
    assert "entry 1's hash is not" in result.stdout

    forged = json.loads(checkpoints.read_text())
    forged["checkpoints"][-1]["size"] -= 1
    checkpoints.write_text(json.dumps(forged))
    result = _check(tmp_path, "--public-key", key, str(checkpoints))
    assert result.returncode == 1
    assert "signature that does not verify" in result.stdout


def test_the_standalone_script_imports_only_the_standard_library_and_cryptography():
    tree = ast.parse(SCRIPT.read_text())
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            roots.add(node.module.split(".")[0])
    assert roots - set(sys.stdlib_module_names) == {"cryptography"}


def test_the_page_says_what_the_checkpoints_prove_and_links_to_the_files(client, approved_trial):
    response = client.get(reverse("public:audit"))
    assert response.status_code == 200
    page = response.content.decode()
    for name in ("audit_checkpoints_json", "audit_chain_json", "audit_verify_script"):
        assert f'href="{reverse("public:" + name)}"' in page
    assert "What the checkpoints prove" in page
    assert signing.public_key().hex() in page
    script = client.get(reverse("public:audit_verify_script"))
    assert script.status_code == 200
    assert script.content == SCRIPT.read_bytes()
    assert reverse("public:audit") in client.get(reverse("public:open_data")).content.decode()


def test_the_feed_carries_the_latest_checkpoint(client, approved_trial):
    response = client.get(reverse("public:feed"))
    root = ElementTree.fromstring(response.content)  # noqa: S314 - our own output
    atom = "{http://www.w3.org/2005/Atom}"
    latest = AuditCheckpoint.objects.order_by("-id").first()
    summaries = [e.findtext(f"{atom}summary") or "" for e in root.iter(f"{atom}entry")]
    assert [s for s in summaries if checkpoint_summary(latest) in s]


def test_every_report_pdf_carries_the_latest_checkpoint_in_its_metadata(client, reported_trial):
    from django.utils import timezone

    year = timezone.localtime(reported_trial.starts_at).year
    latest = AuditCheckpoint.objects.order_by("-id").first()
    for url in (
        reverse("public:trial_report_pdf", args=[reported_trial.reference]),
        reverse("public:annual_report_pdf", args=[year]),
    ):
        response = client.get(url)
        assert response.status_code == 200
        info = PdfReader(BytesIO(b"".join(response.streaming_content))).metadata
        assert info["/OversightAuditCheckpoint"] == checkpoint_summary(latest), url
