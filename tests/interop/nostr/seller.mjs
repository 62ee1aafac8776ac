// The seller's side in an independent Nostr implementation (nostr-tools),
// for tests/relays.rs. Reads JSON files, prints JSON; no network.
//
//   node seller.mjs wrap LISTING.json OFFER.json
//     checks the intent listing (event id and signature, kind 30402, its
//     content a credential naming the event's key), gift wraps the signed
//     offer to the intent's key under a fresh seller key; prints
//     {"wrap": <event>, "seller_secret": <hex>, "seller_pubkey": <hex>}
//   node seller.mjs unwrap WRAP.json SECRET_HEX
//     opens a gift wrap to the seller's key; prints {"sender": <hex>, "document": <json>}
import { readFileSync } from "node:fs";
import { verifyEvent, generateSecretKey, getPublicKey } from "nostr-tools/pure";
import * as nip59 from "nostr-tools/nip59";
import { bytesToHex, hexToBytes } from "nostr-tools/utils";

const read = (p) => JSON.parse(readFileSync(p, "utf8"));
const fail = (why) => {
  console.error(`seller.mjs: ${why}`);
  process.exit(1);
};

const [verb, a, b] = process.argv.slice(2);
if (verb === "wrap") {
  const listing = read(a);
  const offer = read(b);
  if (!verifyEvent(listing)) fail("the listing's id or signature does not verify");
  if (listing.kind !== 30402) fail(`kind ${listing.kind}, not an intent listing`);
  const vc = JSON.parse(listing.content);
  if (!vc.type.includes("IntentRequest")) fail("not an IntentRequest");
  const to = vc.credentialSubject.replyTo.nostrPubkey;
  if (to !== listing.pubkey) fail("the credential does not name the event's key");
  const d = listing.tags.find((t) => t[0] === "d");
  if (!d || `urn:uuid:${d[1]}` !== vc.id) fail("the d tag is not the intent's id");
  const sk = generateSecretKey();
  const wrap = nip59.wrapEvent(
    { kind: 14, content: JSON.stringify(offer), tags: [["p", to], ["e", listing.id]] },
    sk,
    to,
  );
  console.log(JSON.stringify({ wrap, seller_secret: bytesToHex(sk), seller_pubkey: getPublicKey(sk) }));
} else if (verb === "unwrap") {
  const rumor = nip59.unwrapEvent(read(a), hexToBytes(b));
  console.log(JSON.stringify({ sender: rumor.pubkey, document: JSON.parse(rumor.content) }));
} else {
  fail("usage: seller.mjs wrap LISTING.json OFFER.json | unwrap WRAP.json SECRET_HEX");
}
