"""Every kind of document VRM Vault signs, checked by an independent
eddsa-jcs-2022 verifier (verify_eddsa_jcs.py, written from the W3C
specification in Python) and share bundles opened by the stock `age` command.
Run by scripts/e2e (it needs the `vrm` binary that `cargo test` builds)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# verify_eddsa_jcs.py sits beside this file (no conftest here: tests/e2e has one).
sys.path.insert(0, str(Path(__file__).resolve().parent))
from verify_eddsa_jcs import verify  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
VRM = Path(os.environ.get("VRM_CLI_BINARY", TARGET / "debug" / "vrm"))


class Vrm:
    def __init__(self, tmp):
        self.tmp = tmp
        self.env = {**os.environ, "VRM_PASSPHRASE": "interop passphrase"}
        self.env.pop("VRM_VAULT", None)

    def __call__(self, *args):
        out = subprocess.run(
            [str(VRM), "--vault", str(self.tmp / "vault"), "--kdf-target-ms", "0", *map(str, args)],
            env=self.env, capture_output=True, text=True,
        )
        assert out.returncode == 0, f"vrm {args}: {out.stderr}"
        return out.stdout.strip()


@pytest.fixture
def vrm(tmp_path):
    assert VRM.exists(), f"build the CLI first (cargo build --bin vrm): {VRM} is missing"
    v = Vrm(tmp_path)
    v("init")
    return v


def test_every_signed_document_verifies_independently_and_a_change_fails(vrm, tmp_path):
    t = tmp_path
    did, recipient = vrm("brand-kit", "keygen", "--out", t / "acme.key").splitlines()
    vrm("brand", "add", "Acme", "--did", did, "--age-recipient", recipient)
    record = vrm("record", "add", "--kind", "profile", "--field", "email=ana@example.org", "--field", "name=Ana")
    vrm("terms", "new", "--template", "SD-BASE")
    vrm("terms", "new", "--template", "PDC-INTENT")
    vrm("terms", "export", "1", "--brand", "acme", "--out", t / "terms.json")
    vrm("brand-kit", "agree", t / "terms.json", "--identity", t / "acme.key", "--out", t / "agreement.json")
    vrm("terms", "import", t / "agreement.json")
    share = vrm("share", "create", "--brand", "acme", "--record", record, "--purpose", "delivery",
                "--expires", "30d", "--terms", "1", "--out", t / "share.age")
    # The stock age command opens the bundle with the brand's key file.
    grant = subprocess.run(["age", "-d", "-i", t / "acme.key", t / "share.age"], capture_output=True, check=True).stdout
    (t / "grant.json").write_bytes(grant)
    vrm("share", "revoke", share, "--out", t / "revocation.json")
    vrm("brand-kit", "ack", t / "revocation.json", "--identity", t / "acme.key", "--out", t / "ack.json")
    vrm("rights", "request", "--brand", "acme", "--right", "gdpr-erasure", "--out", t / "rights.json")
    intent = vrm("intent", "create", "--category", "lunch", "--description", "lunch for two",
                 "--expires", "2d", "--brand", "acme")
    (t / "sent").mkdir()
    vrm("intent", "send", intent, "--out", t / "sent", "--no-http")
    (intent_file,) = list((t / "sent").iterdir())
    vrm("brand-kit", "offer", intent_file, "--identity", t / "acme.key", "--price", "20",
        "--currency", "EUR", "--out", t / "offer.json")
    vrm("offer", "import", t / "offer.json")
    offer_id = json.loads(vrm("offer", "list", "--json"))[0]["offer"]["id"]
    vrm("offer", "accept", offer_id, "--out", t / "acceptance.json")

    kinds = {}
    for name in ["terms", "agreement", "grant", "revocation", "ack", "rights", "offer", "acceptance"]:
        doc = json.loads((t / f"{name}.json").read_text())
        vm = verify(doc)
        assert vm.startswith("did:key:z6Mk")
        assert doc["issuer"] == vm.split("#")[0], name
        kinds[doc["type"][1]] = vm
        # Any change to what was signed fails.
        doc["credentialSubject"]["tampered"] = True
        with pytest.raises(Exception):
            verify(doc)
    intent_doc = json.loads(intent_file.read_text())
    verify(intent_doc)
    verify(intent_doc["credentialSubject"]["terms"]["document"])
    assert set(kinds) == {"PersonalTerms", "TermsAgreement", "ShareGrant", "ShareRevocation",
                          "DeletionAcknowledgment", "DataRightsRequest", "Offer", "OfferAcceptance"}
    # Pairwise: the person's key for Acme signs terms, grants and requests; the
    # intent has a key of its own.
    assert kinds["PersonalTerms"] == kinds["ShareGrant"] == kinds["DataRightsRequest"]
    assert intent_doc["issuer"] != kinds["ShareGrant"].split("#")[0]


def test_the_w3c_vector_verifies_independently():
    doc = json.loads((ROOT / "tests/vectors/vc-di-eddsa/signedJCS.json").read_text())
    assert verify(doc).startswith("did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2")
