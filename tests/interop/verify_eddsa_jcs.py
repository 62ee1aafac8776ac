"""An independent eddsa-jcs-2022 verifier (W3C Data Integrity EdDSA
Cryptosuites v1.0, "Verify Proof (eddsa-jcs-2022)"), written from the
specification with other people's building blocks: RFC 8785 JCS from the
`rfc8785` package (Trail of Bits), Ed25519 from `cryptography`, base58 from
`base58`. It shares no code with the Rust implementation it checks.

Usage: python verify_eddsa_jcs.py FILE...  (exit 0 if every file verifies)
"""

import copy
import hashlib
import json
import sys

import base58
import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

ED25519_PUB = b"\xed\x01"


def public_key_from_did_key(vm: str) -> bytes:
    did, _, fragment = vm.partition("#")
    if not did.startswith("did:key:z"):
        raise ValueError(f"not a did:key: {vm}")
    multibase = did[len("did:key:"):]
    if fragment and fragment != multibase:
        raise ValueError("fragment does not match the key")
    raw = base58.b58decode(multibase[1:])
    if raw[:2] != ED25519_PUB or len(raw) != 34:
        raise ValueError("not an Ed25519 public key")
    return raw[2:]


def verify(secured: dict) -> str:
    """Return the verification method if the proof verifies; raise otherwise."""
    unsecured = copy.deepcopy(secured)
    proof = unsecured.pop("proof")
    if isinstance(proof, list):
        if len(proof) != 1:
            raise ValueError("expected one proof")
        proof = proof[0]
    options = dict(proof)
    proof_value = options.pop("proofValue")
    if options.get("type") != "DataIntegrityProof" or options.get("cryptosuite") != "eddsa-jcs-2022":
        raise ValueError("not an eddsa-jcs-2022 DataIntegrityProof")
    if "@context" in options:
        doc_ctx = secured.get("@context")
        doc_ctx = doc_ctx if isinstance(doc_ctx, list) else [doc_ctx]
        proof_ctx = options["@context"]
        proof_ctx = proof_ctx if isinstance(proof_ctx, list) else [proof_ctx]
        if doc_ctx[: len(proof_ctx)] != proof_ctx:
            raise ValueError("the document's @context does not start with the proof's")
        unsecured["@context"] = options["@context"]
    if not proof_value.startswith("z"):
        raise ValueError("proofValue is not base58btc multibase")
    signature = base58.b58decode(proof_value[1:])
    hash_data = hashlib.sha256(rfc8785.dumps(options)).digest() + hashlib.sha256(rfc8785.dumps(unsecured)).digest()
    key = Ed25519PublicKey.from_public_bytes(public_key_from_did_key(options["verificationMethod"]))
    key.verify(signature, hash_data)  # raises InvalidSignature
    return options["verificationMethod"]


def main(paths):
    ok = True
    for p in paths:
        with open(p, "rb") as f:
            doc = json.load(f)
        try:
            vm = verify(doc)
            print(f"{p}: verified, signed by {vm}")
        except (InvalidSignature, ValueError, KeyError) as e:
            print(f"{p}: NOT verified: {type(e).__name__} {e}")
            ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
