import sys
from pathlib import Path

# verify_eddsa_jcs.py sits beside the tests.
sys.path.insert(0, str(Path(__file__).resolve().parent))
