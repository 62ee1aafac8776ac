// The new screens against a mocked IPC: what they show, and exactly which
// commands they call with which arguments.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { render } from "preact";
import { act } from "preact/test-utils";
import { clearMocks, mockIPC, mockWindows } from "@tauri-apps/api/mocks";
import type {
  Brand,
  Clauses,
  ExposureItem,
  Proposal,
  Record,
  RightsRequestView,
  ShareView,
  TermsForm,
  TermsOptions,
  VaultInfo,
} from "../src/bindings";
import type { Ctx } from "../src/ctx";
import { BrandsScreen } from "../src/screens/brands";
import { DiscoverScreen } from "../src/screens/discover";
import { ExposureScreen } from "../src/screens/exposure";
import { RecordsScreen } from "../src/screens/records";
import { RightsScreen } from "../src/screens/rights";
import { ShareScreen } from "../src/screens/share";
import { SettingsScreen } from "../src/screens/settings";
import { SharesScreen } from "../src/screens/shares";
import { TermsScreen } from "../src/screens/terms";
import { SearchResults } from "../src/screens/search";
import { SyncPanel } from "../src/components/sync_panel";
import { addDays, today } from "../src/dates";

const flush = async () => {
  for (let i = 0; i < 10; i++) await act(async () => await new Promise((r) => setTimeout(r, 0)));
};

let root: HTMLElement;
let calls: { cmd: string; args: { [k: string]: unknown } }[];
let answers: { [cmd: string]: (args: { [k: string]: unknown }) => unknown };
let notices: string[];

async function find<T extends Element = HTMLElement>(selector: string): Promise<T> {
  for (let i = 0; i < 100; i++) {
    const el = root.querySelector<T>(selector);
    if (el) return el;
    await flush();
  }
  throw new Error(`${selector} never appeared`);
}

async function click(selector: string) {
  (await find<HTMLElement>(selector)).click();
  await flush();
}

async function choose(selector: string, value: string) {
  const el = await find<HTMLSelectElement>(selector);
  el.value = value;
  el.dispatchEvent(new Event("change", { bubbles: true }));
  await flush();
}

async function type(selector: string, value: string) {
  const el = await find<HTMLInputElement>(selector);
  el.value = value;
  el.dispatchEvent(new Event("input", { bubbles: true }));
  await flush();
}

const called = (cmd: string) => calls.filter((c) => c.cmd === cmd).map((c) => c.args);

const acme: Brand = {
  id: "b1", name: "Acme", age_recipient: "age1example", did: "did:key:z6Mkexample",
  created_at: "2026-01-01T00:00:00Z", updated_at: "2026-01-01T00:00:00Z",
};

const status = {
  device: "d1", target: "folder /sync", last_sync_ms: null, pending_rows: 0, devices: [],
  conflicts: [] as { record: string; values: number }[],
};
const events = { "plugin:event|listen": () => 1, "plugin:event|unlisten": () => null };
const syncNotSetUp = {
  ...events,
  sync_status: () => ({ status: { ...status, device: null, target: null }, set_up: false, last: null }),
};
const device = (id: string, name: string, more: object = {}) => ({
  id, name, public: "pk", revoked_after: null, joined: true, recipient: null, this_device: false, can_revoke: true, ...more,
});

function ctx(): Ctx {
  return {
    specs: [],
    brands: [acme],
    refreshBrands: async () => undefined,
    go: () => undefined,
    notify: (t) => void notices.push(t),
  };
}

beforeEach(() => {
  root = document.createElement("div");
  document.body.appendChild(root);
  calls = [];
  notices = [];
  answers = {};
  mockWindows("main");
  mockIPC((cmd, args) => {
    const a = (args ?? {}) as { [k: string]: unknown };
    calls.push({ cmd, args: a });
    const answer = answers[cmd];
    if (!answer) throw { code: "test.unexpected", message: `unexpected call ${cmd}` };
    return answer(a);
  });
});

afterEach(async () => {
  render(null, root);
  await flush();
  root.remove();
  clearMocks();
});

describe("Rights", () => {
  const overdue: RightsRequestView = {
    request: {
      id: "q1", brand: "b1", right: "gdpr-access", sent_on: "2026-01-02", extended: false, status: "open",
      reason: null, details: "customer 42", history: [], created_at: "2026-01-02T09:00:00Z",
    },
    brand_name: "Acme",
    due: "2026-02-02",
    days_left: -20,
    overdue: true,
  };

  it("flags an overdue request, shows its follow-up letter, and records the answer", async () => {
    answers = {
      rights_kinds: () => [{ right: "gdpr-access", regime: "gdpr", article: "Art. 15", title: "Right of access" }],
      rights_list: () => [overdue],
      rights_letter: (a) => (a.followUp ? "FOLLOW-UP: the deadline passed" : "the first letter"),
      rights_update: () => ({ ...overdue.request, status: "fulfilled" }),
    };
    render(<RightsScreen ctx={ctx()} />, root);
    const row = await find("[data-testid=rights-row]");
    expect(row.dataset.overdue).toBe("true");
    expect(row.classList.contains("overdue")).toBe(true);
    expect(row.querySelector("[data-testid=rights-deadline]")!.textContent).toContain("Overdue by 20 days");
    expect(row.textContent).toContain("Right of access (Art. 15)");

    await click("[data-testid=rights-follow-up]");
    expect(called("rights_letter")).toEqual([{ id: "q1", followUp: true }]);
    expect((await find("[data-testid=rights-follow-up-letter]")).textContent).toContain("FOLLOW-UP");

    await click("[data-testid=rights-update]");
    await choose("[data-testid=rights-update-status]", "fulfilled");
    (await find<HTMLFormElement>("[data-testid=rights-update-form]")).dispatchEvent(
      new Event("submit", { bubbles: true, cancelable: true }),
    );
    await flush();
    expect(called("rights_update")).toEqual([{ id: "q1", status: "fulfilled", reason: null, extended: null }]);
    expect(called("rights_list").length).toBe(2);
  });

  it("makes a request from the form and shows the letter to send", async () => {
    answers = {
      rights_kinds: () => [{ right: "gdpr-access", regime: "gdpr", article: "Art. 15", title: "Right of access" }],
      rights_list: () => [],
      rights_create: () => ({ request: { ...overdue.request, status: "open" }, letter: "Dear Acme, under Article 15", document: {} }),
    };
    render(<RightsScreen ctx={ctx()} />, root);
    await find("[data-testid=rights-empty]");
    await choose("[data-testid=rights-brand]", "b1");
    await type("[data-testid=rights-sent-on]", "2026-01-02");
    await type("[data-testid=rights-details]", "customer 42");
    (await find<HTMLFormElement>("[data-testid=rights-form]")).dispatchEvent(
      new Event("submit", { bubbles: true, cancelable: true }),
    );
    await flush();
    expect(called("rights_create")).toEqual([
      { brand: "b1", right: "gdpr-access", sentOn: "2026-01-02", details: "customer 42", file: null },
    ]);
    expect(called("choose_file")).toEqual([]);
    expect((await find("[data-testid=rights-letter]")).textContent).toContain("under Article 15");
  });
});

describe("Share", () => {
  const records: Record[] = [
    {
      id: "r1", kind: "profile", brand: null, fields: { email: "ana@example.org", phone: "+33 1" }, tags: [],
      created_at: "2026-01-01T00:00:00Z", updated_at: "2026-01-01T00:00:00Z",
    },
  ];

  it("sends exactly the chosen record, fields, purpose and expiry, to the path the dialog gave", async () => {
    const until = addDays(today(), 60);
    answers = {
      records_list: () => records,
      terms_versions: () => [],
      choose_file: () => ({ token: "t-share", name: "share.age" }),
      share_create: () => ({
        id: "s1", brand: "b1", purpose: "delivery", created_at: "2026-01-01T00:00:00Z", expires_at: "2026-06-30T23:59:59Z",
        items: [{ record: "r1", reference: "x", kind: "profile", fields: ["email"] }], terms: null, erasure_days: 30,
        grant_digest: "d", revocation: null, acknowledgment: null,
      }),
    };
    render(<ShareScreen ctx={ctx()} />, root);
    await choose("[data-testid=share-brand]", "b1");
    await click("[data-testid=share-record]");
    await click("[data-testid=share-field-email]");
    expect(root.querySelector("[data-testid=share-field-phone]")).not.toBeNull();
    await type("[data-testid=share-purpose]", "delivery");
    await type("[data-testid=share-expires]", until);
    expect(root.querySelector("[data-testid=share-no-terms]")).not.toBeNull();
    await click("[data-testid=share-submit]");
    expect(called("choose_file")).toEqual([{ choice: "share-out" }]);
    expect(called("share_create")).toEqual([
      {
        request: { brand: "b1", records: ["r1"], fields: ["email"], purpose: "delivery", expires_at: `${until}T23:59:59Z`, terms: null },
        file: "t-share",
      },
    ]);
    expect((await find("[data-testid=share-result]")).textContent).toContain("share.age");
  });

  it("does nothing when the dialog is cancelled", async () => {
    answers = { records_list: () => records, terms_versions: () => [], choose_file: () => null };
    render(<ShareScreen ctx={ctx()} />, root);
    await choose("[data-testid=share-brand]", "b1");
    await click("[data-testid=share-record]");
    await type("[data-testid=share-purpose]", "delivery");
    await click("[data-testid=share-submit]");
    expect(called("choose_file")).toEqual([{ choice: "share-out" }]);
    expect(called("share_create")).toEqual([]);
    expect(root.querySelector("[data-testid=share-error]")).toBeNull();
  });

  it("shows the core's error beside the field it names, else above the button", async () => {
    let error: unknown = { code: "input.invalid", field: "purpose", message: "the purpose must be one line" };
    answers = {
      records_list: () => records,
      terms_versions: () => [],
      choose_file: () => ({ token: "t-share", name: "share.age" }),
      share_create: () => {
        throw error;
      },
    };
    render(<ShareScreen ctx={ctx()} />, root);
    await choose("[data-testid=share-brand]", "b1");
    await click("[data-testid=share-record]");
    await type("[data-testid=share-purpose]", "delivery");
    await click("[data-testid=share-submit]");
    expect((await find("[data-testid=share-error-purpose]")).textContent).toBe("the purpose must be one line");
    expect(root.querySelector("[data-testid=share-error]")).toBeNull();

    error = { code: "input.invalid", field: "record", message: "choose at least one record to share" };
    await click("[data-testid=share-submit]");
    expect((await find("[data-testid=share-error-records]")).textContent).toBe("choose at least one record to share");
    expect(root.querySelector("[data-testid=share-error-purpose]")).toBeNull();

    error = { code: "brand.not_found", field: null, message: "no brand b1" };
    await click("[data-testid=share-submit]");
    expect((await find("[data-testid=share-error]")).textContent).toBe("no brand b1");
    expect(root.querySelector("[data-testid=share-error-records]")).toBeNull();
  });
});

describe("Shares", () => {
  it("revokes with the reason and the dialog's path, and imports an acknowledgment", async () => {
    const live: ShareView = {
      share: {
        id: "s1", brand: "b1", purpose: "delivery", created_at: "2026-01-01T00:00:00Z", expires_at: "2026-06-30T23:59:59Z",
        items: [{ record: "r1", reference: "x", kind: "profile", fields: ["email"] }], terms: null, erasure_days: 30,
        grant_digest: "d", revocation: null, acknowledgment: null,
      },
      status: "live",
      brand_name: "Acme",
      can_revoke: true,
    };
    const revoked = { ...live.share, revocation: { id: "v1", at: "2026-02-01T00:00:00Z", erase_by: "2026-03-03T00:00:00Z" } };
    let current: ShareView = live;
    answers = {
      shares_list: () => [current],
      choose_file: (a) => ({ token: a.choice === "revocation-out" ? "t-rev" : "t-ack", name: "x.json" }),
      share_revoke: () => ((current = { ...live, share: revoked, status: "revoked", can_revoke: false }), revoked),
      share_import_ack: () => {
        const erased = { ...revoked, acknowledgment: { id: "k", erased_at: "2026-02-02T00:00:00Z", received_at: "2026-02-03T00:00:00Z", document: "{}" } };
        current = { ...live, share: erased, status: "erased", can_revoke: false };
        return erased;
      },
    };
    render(<SharesScreen ctx={ctx()} />, root);
    expect((await find("[data-testid=share-status]")).textContent).toBe("Live");
    await click("[data-testid=share-revoke]");
    await type("[data-testid=share-revoke-reason]", "moved away");
    await click("[data-testid=share-revoke-confirm]");
    expect(called("share_revoke")).toEqual([]); // the first click only arms it
    await click("[data-testid=share-revoke-confirm]");
    expect(called("share_revoke")).toEqual([{ id: "s1", reason: "moved away", file: "t-rev" }]);
    await flush();
    expect((await find("[data-testid=share-status]")).textContent).toBe("Revoked, awaiting erasure");
    expect((await find("[data-testid=share-erase-by]")).textContent).toBe("2026-03-03");

    await click("[data-testid=shares-import-ack]");
    expect(called("share_import_ack")).toEqual([{ file: "t-ack" }]);
    await flush();
    expect((await find("[data-testid=share-row]")).dataset.status).toBe("erased");
    expect(root.querySelector("[data-testid=share-revoke]")).toBeNull();
  });
});

describe("Exposure", () => {
  it("lays out the matrix and revokes an item everywhere into the chosen folder", async () => {
    const items: ExposureItem[] = [
      {
        item: "email",
        holders: [{
          brand: "b1", brand_name: "Acme", share: "s1", since: "2026-01-01T10:00:00Z", until: "2026-06-30T23:59:59Z",
          status: "live", terms: null, purpose: "delivery",
        }],
        observed: [],
      },
    ];
    let current = items;
    answers = {
      exposure: () => current,
      choose_file: () => ({ token: "t-dir", name: "revocations" }),
      exposure_revoke_item: () => {
        current = [];
        return [{ share: {}, path: "/tmp/revocations/revocation-s1.json" }];
      },
    };
    render(<ExposureScreen ctx={ctx()} />, root);
    const row = await find("[data-testid=exposure-row]");
    expect(row.dataset.item).toBe("email");
    expect(root.querySelector("thead")!.textContent).toContain("Acme");
    expect(row.querySelector("[data-testid=exposure-cell]")!.textContent).toBe("Live since 2026-01-01");
    await click("[data-testid=exposure-revoke-email]");
    await click("[data-testid=exposure-revoke-email]");
    expect(called("choose_file")).toEqual([{ choice: "revocations-folder" }]);
    expect(called("exposure_revoke_item")).toEqual([{ item: "email", folder: "t-dir" }]);
    expect((await find("[data-testid=exposure-result]")).textContent).toContain("revocation-s1.json");
    await find("[data-testid=exposure-empty]");
  });
});

describe("Terms", () => {
  const clauses: Clauses = {
    purposes: ["service-delivery"],
    retention_days: 30,
    third_party_sharing: "never",
    no_tracking_first_party: true,
    no_tracking_third_party: true,
    no_profiling: true,
    deletion_on_request_days: 30,
    portability: false,
    contact: { channels: ["email"], max_contacts: 2, per_days: 30, marketing_allowed: false, cross_offers_allowed: false },
    jurisdiction: "EU (GDPR)",
  };
  const options: TermsOptions = {
    templates: [
      { template: "SD-BASE", title: "Service delivery only", summary: "only the service", clauses },
      { template: "SD-BASE-DP", title: "With portability", summary: "and portability", clauses: { ...clauses, portability: true } },
    ],
    purposes: [
      { purpose: "service-delivery", name: "Service delivery", description: "delivering" },
      { purpose: "marketing", name: "Marketing", description: "marketing to me" },
    ],
    channels: [
      { channel: "email", label: "email" },
      { channel: "letter", label: "letter" },
    ],
    days_min: 1,
    days_max: 3650,
    max_contacts: 1000,
    max_per_days: 365,
  };

  it("starts from a template, previews every change, and saves the form as typed", async () => {
    answers = {
      terms_options: () => options,
      terms_versions: () => [],
      terms_status: () => [{ brand: acme, latest: null, history: [] }],
      // As the core: a number that is not one has no preview, and says so.
      terms_preview: (a) => {
        const f = a.form as TermsForm;
        if (f.per_days.trim() === "") {
          throw { code: "input.invalid", field: "per_days", message: "the contact window: enter a whole number of days" };
        }
        return {
          text: `PREVIEW retention ${f.retention_days}`,
          problem: f.purposes.length ? null : "the terms need at least one purpose",
        };
      },
      terms_create: (a) => {
        const f = a.form as TermsForm;
        return { id: "v1", number: 1, template: f.template, title: f.title, clauses, text: "", created_at: "2026-01-01T00:00:00Z" };
      },
    };
    render(<TermsScreen ctx={ctx()} />, root);
    await find("[data-testid=terms-empty]");
    expect(root.querySelector("[data-testid=terms-status]")!.textContent).toContain("No answer yet");
    await click("[data-testid=terms-new]");
    await click("[data-testid=terms-template-SD-BASE-DP]");
    expect(root.querySelector<HTMLInputElement>("[data-testid=terms-portability]")!.checked).toBe(true);
    await type("[data-testid=terms-retention]", "45");
    await click("[data-testid=terms-purpose-marketing]");
    await click("[data-testid=terms-channel-letter]");
    await click("[data-testid=terms-marketing]");
    await type("[data-testid=terms-prose]", "Be brief.");
    for (let i = 0; i < 20 && !root.querySelector("[data-testid=terms-preview]")!.textContent!.includes("45"); i++) {
      await new Promise((r) => setTimeout(r, 50));
      await flush();
    }
    expect((await find("[data-testid=terms-preview]")).textContent).toBe("PREVIEW retention 45");

    // A number that is not one: the core's word shows, the last preview stays.
    const previews = called("terms_preview").length;
    await type("[data-testid=terms-per-days]", "");
    expect((await find("[data-testid=terms-problem]")).textContent).toBe("the contact window: enter a whole number of days");
    expect(called("terms_preview").length).toBe(previews + 1);
    expect(called("terms_preview")[previews]).toEqual({ form: expect.objectContaining({ per_days: "" }) });
    expect(root.querySelector("[data-testid=terms-preview]")!.textContent).toBe("PREVIEW retention 45");
    await type("[data-testid=terms-per-days]", "7");
    for (let i = 0; i < 20 && root.querySelector("[data-testid=terms-problem]"); i++) {
      await new Promise((r) => setTimeout(r, 50));
      await flush();
    }
    expect(root.querySelector("[data-testid=terms-problem]")).toBeNull();

    (await find<HTMLFormElement>("[data-testid=terms-form]")).dispatchEvent(
      new Event("submit", { bubbles: true, cancelable: true }),
    );
    await flush();
    // The numbers go as typed: the core reads them (TermsForm).
    expect(called("terms_create")).toEqual([
      {
        form: {
          template: "SD-BASE-DP",
          title: "My terms",
          purposes: ["service-delivery", "marketing"],
          retention_days: "45",
          third_party_sharing: "never",
          no_tracking_first_party: true,
          no_tracking_third_party: true,
          no_profiling: true,
          deletion_on_request_days: "30",
          portability: true,
          channels: ["email", "letter"],
          max_contacts: "2",
          per_days: "7",
          marketing_allowed: true,
          cross_offers_allowed: false,
          jurisdiction: "EU (GDPR)",
          prose: "Be brief.",
        } satisfies TermsForm,
      },
    ]);
    expect(notices).toEqual(["Saved your terms as version 1."]);
  });

  it("shows the core's error beside the clause it names", async () => {
    answers = {
      terms_options: () => options,
      terms_versions: () => [],
      terms_status: () => [],
      terms_preview: () => ({ text: "PREVIEW", problem: null }),
      terms_create: () => {
        throw { code: "input.invalid", field: "max_contacts", message: "contact rules: at most 1000 contacts per window" };
      },
    };
    render(<TermsScreen ctx={ctx()} />, root);
    await click("[data-testid=terms-new]");
    await type("[data-testid=terms-max-contacts]", "5000");
    (await find<HTMLFormElement>("[data-testid=terms-form]")).dispatchEvent(
      new Event("submit", { bubbles: true, cancelable: true }),
    );
    await flush();
    expect(called("terms_create")).toHaveLength(1);
    expect((await find("[data-testid=terms-max-contacts-error]")).textContent).toBe(
      "contact rules: at most 1000 contacts per window",
    );
    expect(root.querySelector("[data-testid=terms-per-days-error]")).toBeNull();
    expect(root.querySelector("[data-testid=terms-error]")).toBeNull();
  });

  it("shows an error about no field of the editor under the form", async () => {
    answers = {
      terms_options: () => options,
      terms_versions: () => [],
      terms_status: () => [],
      terms_preview: () => ({ text: "PREVIEW", problem: null }),
      terms_create: () => {
        throw { code: "input.invalid", field: "template", message: "unknown terms template" };
      },
    };
    render(<TermsScreen ctx={ctx()} />, root);
    await click("[data-testid=terms-new]");
    (await find<HTMLFormElement>("[data-testid=terms-form]")).dispatchEvent(
      new Event("submit", { bubbles: true, cancelable: true }),
    );
    await flush();
    expect((await find("[data-testid=terms-error]")).textContent).toBe("unknown terms template");
    expect(root.querySelector(".field-error")).toBeNull();
  });
});

describe("Settings", () => {
  const info: VaultInfo = {
    dir: "/v", vault_id: "x", created_at: "2026-01-01T00:00:00Z", brands: 0, records: 0, kdf_m_kib: 65536, kdf_t: 3,
  };

  async function commit(value: string) {
    const el = await find<HTMLInputElement>("[data-testid=auto-lock]");
    el.value = value;
    el.dispatchEvent(new Event("change", { bubbles: true }));
    await flush();
  }

  it("sends the minutes as typed; a refused value changes nothing and the field shows the saved one", async () => {
    answers = {
      settings_get: () => ({ auto_lock_minutes: 5 }),
      vault_info: () => info,
      ...syncNotSetUp,
      settings_set: (a) => {
        const typed = (a.form as { auto_lock_minutes: string }).auto_lock_minutes;
        if (typed.trim() === "") {
          throw { code: "input.invalid", field: "auto_lock_minutes", message: "auto-lock: enter a whole number of minutes (0: never)" };
        }
        return { auto_lock_minutes: Number(typed) };
      },
    };
    render(<SettingsScreen ctx={ctx()} />, root);
    await find("[data-testid=vault-location]");
    expect((await find<HTMLInputElement>("[data-testid=auto-lock]")).value).toBe("5");

    // An empty field is not 0 (never): the core refuses it.
    await commit("");
    expect(called("settings_set")).toEqual([{ form: { auto_lock_minutes: "" } }]);
    expect((await find("[data-testid=auto-lock-error]")).textContent).toBe(
      "auto-lock: enter a whole number of minutes (0: never); nothing was changed",
    );
    expect((await find<HTMLInputElement>("[data-testid=auto-lock]")).value).toBe("5");
    expect(notices).toEqual([]);

    await commit("12");
    expect(called("settings_set")[1]).toEqual({ form: { auto_lock_minutes: "12" } });
    expect(root.querySelector("[data-testid=auto-lock-error]")).toBeNull();
    expect((await find<HTMLInputElement>("[data-testid=auto-lock]")).value).toBe("12");
    expect(notices).toEqual(["Settings saved."]);
  });
});

describe("Brand and record forms", () => {
  it("shows the core's error beside the brand detail it names", async () => {
    answers = {
      brand_add: () => {
        throw { code: "input.invalid", field: "domain", message: "\"acme\" is not a domain name (like example.com)" };
      },
    };
    render(<BrandsScreen ctx={ctx()} />, root);
    await click("[data-testid=add-brand]");
    await type("[data-testid=brand-name]", "Acme");
    await type("[data-testid=brand-domain]", "acme");
    (await find<HTMLFormElement>("[data-testid=brand-form]")).dispatchEvent(
      new Event("submit", { bubbles: true, cancelable: true }),
    );
    await flush();
    expect(called("brand_add")).toHaveLength(1);
    expect((await find("[data-testid=brand-error-domain]")).textContent).toContain("is not a domain name");
    expect(root.querySelector("[data-testid=brand-error-name]")).toBeNull();
    expect(root.querySelector("[data-testid=brand-error]")).toBeNull();
  });

  it("shows the core's error beside the record field it names, or in the form when it has no such field", async () => {
    let error: unknown = { code: "input.invalid", field: "fields.email", message: "field email: expected an email address" };
    answers = {
      record_add: () => {
        throw error;
      },
    };
    const specs = [{ kind: "profile", fields: [{ name: "email", type: "email", required: false, options: [] }] }];
    render(<RecordsScreen recordId="new" ctx={{ ...ctx(), specs } as Ctx} />, root);
    await choose("[data-testid=record-kind]", "profile");
    await type("[data-testid=field-email]", "not-an-email");
    const submit = async () => {
      (await find<HTMLFormElement>("[data-testid=record-form]")).dispatchEvent(
        new Event("submit", { bubbles: true, cancelable: true }),
      );
      await flush();
    };
    await submit();
    expect((await find("[data-testid=field-email-error]")).textContent).toBe("field email: expected an email address");
    expect(root.querySelector("[data-testid=record-error]")).toBeNull();

    error = { code: "input.invalid", field: "fields.phone", message: "field phone: expected a phone number" };
    await submit();
    expect((await find("[data-testid=record-error]")).textContent).toBe("field phone: expected a phone number");
    expect(root.querySelector("[data-testid=field-email-error]")).toBeNull();
  });
});

describe("Bring in from email", () => {
  const shop: Proposal = {
    id: "p1", name: "Shop", domain: "shop.example", senders: ["orders@shop.example"], existing_brand: null,
    messages: 3, inbound: 3, outbound: 0, marketing: 1, orders: 1, holds: ["ana@example.org"],
    first_seen: "2026-03-02", last_seen: "2026-03-05", unsubscribe: null, samples: ["Your order 42"], threads: 1,
    records: [
      { kind: "purchase", fields: { item: "Kettle", date: "2026-03-02" } },
      { kind: "interaction", fields: { summary: "Your order 42", date: "2026-03-02" }, thread: "t1" },
      { kind: "interaction", fields: { summary: "Re: Your order 42", date: "2026-03-03" }, thread: "t1" },
    ],
  };

  it("runs over the chosen files with the addresses typed, then accepts one and opens its brand", async () => {
    let waiting: Proposal[] = [];
    let brands: Brand[] = [acme];
    const went: unknown[] = [];
    answers = {
      discover_list: () => waiting,
      discover_choose: () => ({ token: "t-mail", name: "Inbox.mbox" }),
      discover_files: () => {
        waiting = [shop];
        return { messages: 5, staged: 3, skipped: { "personal correspondent": 2 }, truncated: 0,
          proposals_new: 1, proposals_updated: 0 };
      },
      brands_list: () => brands,
      discover_accept: () => {
        brands = [acme, { ...acme, id: "b2", name: "Shop" }];
        waiting = [];
        return { brands_new: 1, brands_updated: 0, records: { purchase: 1, interaction: 2 } };
      },
    };
    render(<DiscoverScreen ctx={{ ...ctx(), go: (v) => void went.push(v) }} />, root);
    await find("[data-testid=discover-none]");
    await click("[data-testid=discover-choose-mbox-files]");
    expect((await find("[data-testid=discover-paths]")).textContent).toBe("Chosen: Inbox.mbox");
    await type("[data-testid=discover-me]", "ana@example.org, ana@work.example");
    (await find<HTMLFormElement>("[data-testid=discover-form]")).requestSubmit();
    await flush();
    const run = called("discover_files")[0];
    expect(run.files).toEqual("t-mail");
    expect(run.me).toEqual(["ana@example.org", "ana@work.example"]);
    expect((await find("[data-testid=discover-summary]")).textContent).toContain("personal correspondent: 2");
    const card = await find("[data-testid=proposal]");
    expect(card.textContent).toContain("3 messages · 3 from them · 0 from you · 1 marketing · 1 order");
    expect(card.textContent).toContain("ana@example.org");
    expect(card.textContent).toContain("2 messages in the thread");
    await click("[data-testid=discover-collapse]");
    await click("[data-testid=accept-shop\\.example]");
    expect(called("discover_accept")).toEqual([{ ids: ["p1"], all: false, collapseThreads: true }]);
    expect(went).toEqual([{ screen: "brands", brandId: "b2", from: "discover" }]);
    expect(notices).toEqual(["Shop: Added 3 records (1 new brand)."]);
  });

  it("shows the core's error beside the field it names", async () => {
    answers = {
      discover_list: () => [],
      discover_files: () => {
        throw { code: "input.invalid", field: "me", message: "\"nope\" is not an email address" };
      },
    };
    render(<DiscoverScreen ctx={ctx()} />, root);
    await type("[data-testid=discover-me]", "nope");
    (await find<HTMLFormElement>("[data-testid=discover-form]")).requestSubmit();
    await flush();
    expect((await find("[data-testid=discover-error-me]")).textContent).toContain("is not an email address");
  });

  it("reads an IMAP account: the form as typed, the password gone after, errors beside their fields", async () => {
    let fail = true;
    answers = {
      discover_list: () => [],
      discover_imap: () => {
        if (fail) throw { code: "input.invalid", field: "port", message: "\"99999\" is not a port (1 to 65535)" };
        return { summary: { messages: 4, staged: 2, skipped: {}, truncated: 0, proposals_new: 1, proposals_updated: 0 },
          folders: [{ name: "INBOX", new_messages: 4, reset: false }] };
      },
    };
    render(<DiscoverScreen ctx={ctx()} />, root);
    await click("[data-testid=discover-kind-imap]");
    expect(root.querySelector("[data-testid=discover-paths]")).toBeNull();
    await type("[data-testid=imap-host]", "imap.example.org");
    await type("[data-testid=imap-port]", "99999");
    await type("[data-testid=imap-user]", "jane");
    await type("[data-testid=imap-password]", "s3cret");
    await type("[data-testid=imap-folders]", "INBOX, Sent Items");
    await click("[data-testid=imap-starttls]");
    (await find<HTMLFormElement>("[data-testid=discover-form]")).requestSubmit();
    await flush();
    expect((await find("[data-testid=imap-error-port]")).textContent).toContain("is not a port");
    expect(called("discover_imap")[0].account).toEqual({
      host: "imap.example.org", port: "99999", user: "jane", password: "s3cret", folders: ["INBOX", "Sent Items"],
      starttls: true, ca_file: "",
    });
    fail = false;
    await type("[data-testid=imap-port]", "");
    (await find<HTMLFormElement>("[data-testid=discover-form]")).requestSubmit();
    await flush();
    expect((await find("[data-testid=discover-folders]")).textContent).toBe("INBOX: 4 new messages");
    expect((await find<HTMLInputElement>("[data-testid=imap-password]")).value).toBe("");
  });
});

describe("Long lists, a page at a time", () => {
  const rec = (i: number): Record => ({
    id: `r${i}`, kind: "note", brand: "b1", fields: { text: `Note ${i}` }, tags: [],
    created_at: "2026-01-01T00:00:00Z", updated_at: "2026-01-01T00:00:00Z",
  });
  const pageOf = (total: number) => (a: { [k: string]: unknown }) => {
    const { offset, limit } = a.page as { offset: number; limit: number };
    const items = [];
    for (let i = offset; i < Math.min(total, offset + limit); i++) items.push(rec(i));
    return { items, offset, limit, total };
  };
  const rows = () => root.querySelectorAll("[data-testid=record-row]").length;

  it("lists the first 200 records with the total, and loads more until all are shown", async () => {
    answers = { records_page: pageOf(450) };
    render(<RecordsScreen ctx={ctx()} />, root);
    await find("[data-testid=record-list]");
    expect(rows()).toBe(200);
    expect((await find("[data-testid=records-showing]")).textContent).toBe("Showing 200 of 450");
    await click("[data-testid=records-more]");
    expect(rows()).toBe(400);
    await click("[data-testid=records-more]");
    expect(rows()).toBe(450);
    expect((await find("[data-testid=records-showing]")).textContent).toBe("Showing all 450");
    expect(root.querySelector("[data-testid=records-more]")).toBeNull();
    const filter = { brand: null, kind: null, tags: [], since: null, until: null };
    expect(called("records_page")).toEqual([0, 200, 400].map((offset) => ({ filter, page: { offset, limit: 200 } })));
  });

  it("shows a brand's timeline a page at a time, and counts all its records when deleting", async () => {
    answers = {
      brand_timeline: (a) => ({ brand: acme, records: pageOf(1_000_000)(a) }),
      brand_observed: () => ({ holdings: [] }),
      brand_unsubscribe: () => null,
    };
    render(<BrandsScreen brandId="b1" ctx={ctx()} />, root);
    await find("[data-testid=timeline]");
    expect(rows()).toBe(200);
    expect((await find("[data-testid=timeline-showing]")).textContent).toBe("Showing 200 of 1,000,000");
    await click("[data-testid=timeline-more]");
    expect(rows()).toBe(400);
    expect(called("brand_timeline")).toEqual([
      { id: "b1", page: { offset: 0, limit: 200 } },
      { id: "b1", page: { offset: 200, limit: 200 } },
    ]);
    await click("[data-testid=brand-delete]");
    expect((await find("[data-testid=brand-delete]")).textContent).toBe("Delete Acme and 1,000,000 record(s) for good?");
  });
});

describe("One-click unsubscription", () => {
  let answer: () => unknown;
  beforeEach(() => {
    answer = () => 200;
    answers = {
      brand_timeline: () => ({ brand: acme, records: { items: [], offset: 0, limit: 200, total: 0 } }),
      brand_observed: () => ({ holdings: [] }),
      brand_unsubscribe: () => ({ mailto: "mailto:leave@lists.example", https: "https://lists.example/u/1", one_click: true }),
      brand_unsubscribe_one_click: () => answer(),
    };
  });

  it("asks in the page first, then sends only the brand and shows that it was done", async () => {
    render(<BrandsScreen brandId="b1" ctx={ctx()} />, root);
    await click("[data-testid=unsubscribe-start]");
    expect((await find("[data-testid=unsubscribe-confirm]")).textContent).toContain("Ask lists.example to take you off");
    expect(called("brand_unsubscribe_one_click")).toEqual([]);
    await click("[data-testid=unsubscribe-cancel]");
    expect(root.querySelector("[data-testid=unsubscribe-confirm]")).toBeNull();
    await click("[data-testid=unsubscribe-start]");
    await click("[data-testid=unsubscribe-send]");
    expect(called("brand_unsubscribe_one_click")).toEqual([{ brand: "b1" }]);
    expect((await find("[data-testid=unsubscribe-done]")).textContent).toContain("accepted the request (HTTP 200)");
    expect(root.querySelector("[data-testid=unsubscribe-start]")).toBeNull();
  });

  it("shows the core's message when the server refuses, and lets the person try again", async () => {
    answer = () => {
      throw { code: "input.invalid", field: null, message: "the unsubscribe address answered 410; use its link instead" };
    };
    render(<BrandsScreen brandId="b1" ctx={ctx()} />, root);
    await click("[data-testid=unsubscribe-start]");
    await click("[data-testid=unsubscribe-send]");
    expect((await find("[data-testid=unsubscribe-error]")).textContent).toBe(
      "the unsubscribe address answered 410; use its link instead",
    );
    await click("[data-testid=unsubscribe-retry]");
    await find("[data-testid=unsubscribe-confirm]");
  });

  it("offers no button when the mail did not offer one-click", async () => {
    answers.brand_unsubscribe = () => ({ https: "https://lists.example/u/1", one_click: false });
    render(<BrandsScreen brandId="b1" ctx={ctx()} />, root);
    await find("[data-testid=unsubscribe-https]");
    expect(root.querySelector("[data-testid=unsubscribe-start]")).toBeNull();
  });
});

describe("Search", () => {
  const note = (i: number): Record => ({
    id: `r${i}`, kind: "note", brand: null, fields: { text: `note ${i}` }, tags: [],
    created_at: "2026-01-01T00:00:00Z", updated_at: "2026-01-01T00:00:00Z",
  });
  it("shows the first page and the count, and loads the next page on Show more", async () => {
    answers.search_page = (a) => {
      const page = a.page as { offset: number; limit: number };
      const all = [
        { type: "brand", brand: acme },
        ...Array.from({ length: 300 }, (_, i) => ({ type: "record", record: note(i) })),
      ];
      return { items: all.slice(page.offset, page.offset + page.limit), offset: page.offset, limit: page.limit, total: 301 };
    };
    render(<SearchResults query="note" ctx={ctx()} />, root);
    expect((await find("[data-testid=search-showing]")).textContent).toBe("Showing 200 of 301");
    expect(root.querySelectorAll("[data-testid=search-brand]").length).toBe(1);
    await click("[data-testid=search-more]");
    expect((await find("[data-testid=search-showing]")).textContent).toBe("Showing all 301");
    expect(called("search_page").map((a) => a.page)).toEqual([
      { offset: 0, limit: 200 },
      { offset: 200, limit: 200 },
    ]);
    expect(called("search_page")[0].query).toBe("note");
  });
});


describe("Sync", () => {
  it("sets up a folder through the dialog's token, with the device's name", async () => {
    let setUp = false;
    answers = {
      ...events,
      sync_status: () => (setUp ? { status, set_up: true, last: null } : syncNotSetUp.sync_status()),
      devices_list: () => [device("d1", "laptop", { this_device: true, can_revoke: false })],
      choose_file: () => ({ token: "t-folder", name: "Sync" }),
      sync_setup_folder: () => {
        setUp = true;
        return null;
      },
    };
    render(<SyncPanel ctx={ctx()} />, root);
    await type("[data-testid=sync-device-name]", "laptop");
    (await find<HTMLFormElement>("form[data-testid=sync-folder-form]")).dispatchEvent(
      new Event("submit", { bubbles: true, cancelable: true }),
    );
    await flush();
    expect(called("choose_file")).toEqual([{ choice: "sync-folder" }]);
    expect(called("sync_setup_folder")).toEqual([{ folder: "t-folder", deviceName: "laptop" }]);
    expect((await find("[data-testid=sync-target]")).textContent).toBe("folder /sync");
    expect((await find("[data-testid=sync-last]")).textContent).toBe("never");
    expect(root.querySelector("[data-testid=device-revoke]")).toBeNull();
  });

  it("sets up an S3 store as typed, the secret apart, and shows the core's errors at their fields", async () => {
    let setUp = false;
    const refusals = [
      { code: "input.invalid", field: "endpoint", message: "\"not a url\" is not a URL" },
      { code: "input.invalid", field: "name", message: "a device needs a name of 1 to 100 characters" },
      { code: "sync.store_denied", field: null, message: "the sync store refused access: check the keys" },
    ];
    answers = {
      ...events,
      sync_status: () =>
        setUp
          ? { status: { ...status, target: "s3://vault-sync/alice at http://127.0.0.1:9000" }, set_up: true, last: null }
          : syncNotSetUp.sync_status(),
      devices_list: () => [device("d1", "laptop", { this_device: true, can_revoke: false })],
      sync_setup_s3: () => {
        const refusal = refusals.shift();
        if (refusal) throw refusal;
        setUp = true;
        return null;
      },
    };
    render(<SyncPanel ctx={ctx()} />, root);
    await type("[data-testid=sync-device-name]", "laptop");
    await type("[data-testid=s3-endpoint]", "not a url");
    await type("[data-testid=s3-target]", "s3://vault-sync/alice");
    await type("[data-testid=s3-access_key]", "AKIA1");
    await type("[data-testid=s3-secret_key]", "the secret");
    expect((await find<HTMLInputElement>("[data-testid=s3-secret_key]")).type).toBe("password");
    const submit = async () => {
      (await find<HTMLFormElement>("form[data-testid=s3-form]")).dispatchEvent(
        new Event("submit", { bubbles: true, cancelable: true }),
      );
      await flush();
    };
    await submit();
    expect((await find("[data-testid=s3-error-endpoint]")).textContent).toBe("\"not a url\" is not a URL");
    expect(root.querySelector("[data-testid=sync-error]")).toBeNull();
    await submit();
    expect((await find("[data-testid=sync-error-name]")).textContent).toContain("a device needs a name");
    expect(root.querySelector("[data-testid=s3-error-endpoint]")).toBeNull();
    await submit();
    expect((await find("[data-testid=sync-error]")).textContent).toContain("refused access");
    await submit();
    const form = { target: "s3://vault-sync/alice", endpoint: "not a url", region: "", access_key: "AKIA1" };
    expect(called("sync_setup_s3")).toEqual(
      Array(4).fill({ form, secretKey: "the secret", deviceName: "laptop" }),
    );
    expect((await find("[data-testid=sync-target]")).textContent).toBe("s3://vault-sync/alice at http://127.0.0.1:9000");
    expect(called("choose_file")).toEqual([]);
  });

  it("revokes a device only on the second click, and shows an invitation's code once", async () => {
    const failedAt = Date.now() - 60_000;
    answers = {
      ...events,
      sync_status: () => ({
        status: { ...status, conflicts: [{ record: "r1234567890", values: 2 }] },
        set_up: true,
        last: { at_ms: failedAt, report: null, error: { code: "sync.store", field: null, message: "folder /sync is not there" } },
      }),
      devices_list: () => [device("d1", "laptop", { this_device: true, can_revoke: false }), device("d2", "old phone")],
      device_revoke: () => ({ device: "d2", revoked_after: 3, epoch: 1, devices_kept: 1, compact: { parts: 1, rows: 2, removed: 3 } }),
      choose_file: () => ({ token: "t-out", name: "vault-invitation.json" }),
      device_invite: () => "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH",
      sync_now: () => ({ at_ms: Date.now(), report: null, error: null }),
    };
    render(<SyncPanel ctx={ctx()} />, root);
    expect((await find("[data-testid=sync-result]")).textContent).toBe("Sync failed: folder /sync is not there");
    expect((await find("[data-testid=sync-conflicts]")).textContent).toContain("2 value(s) in its history");
    await click("[data-testid=device-revoke]");
    expect(called("device_revoke")).toEqual([]);
    await click("[data-testid=device-revoke]");
    expect(called("device_revoke")).toEqual([{ id: "d2" }]);
    expect(notices[0]).toContain("old phone was revoked");

    await type("[data-testid=invite-name]", "desktop");
    (await find<HTMLButtonElement>("[data-testid=invite-submit]")).form!.dispatchEvent(
      new Event("submit", { bubbles: true, cancelable: true }),
    );
    await flush();
    expect(called("choose_file")).toEqual([{ choice: "invitation-out" }]);
    expect(called("device_invite")).toEqual([{ name: "desktop", file: "t-out" }]);
    expect((await find("[data-testid=invite-code]")).textContent).toBe("AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH");
    await click("[data-testid=invite-done]");
    expect(root.querySelector("[data-testid=invite-code]")).toBeNull();
    expect(root.textContent).not.toContain("AAAA-BBBB");

    await click("[data-testid=sync-now]");
    expect(called("sync_now")).toHaveLength(1);
    expect((await find("[data-testid=sync-result]")).textContent).toBe("Synced.");
  });
});

describe("A record's history", () => {
  it("lists the values kept and puts back only those the core says can be", async () => {
    const record: Record = {
      id: "r1" as Record["id"], kind: "purchase", brand: null, fields: { item: "kettle", merchant: "Acme Ltd" }, tags: [],
      created_at: "2026-01-02T00:00:00Z", updated_at: "2026-01-02T00:00:00Z",
    };
    answers = {
      record_get: () => record,
      record_history: () => [
        { version: 1, field: "fields/merchant", value: '"Acme Inc"', at_ms: Date.UTC(2026, 0, 3), can_restore: true },
        { version: 2, field: "tags", value: '["a"]', at_ms: Date.UTC(2026, 0, 3), can_restore: false },
      ],
      record_restore: () => ({ ...record, fields: { ...record.fields, merchant: "Acme Inc" } }),
    };
    render(<RecordsScreen recordId="r1" ctx={ctx()} />, root);
    await find("[data-testid=record-history]");
    await flush();
    const entries = root.querySelectorAll("[data-testid=history-entry]");
    expect(entries).toHaveLength(2);
    expect(entries[0].textContent).toContain("merchant: Acme Inc");
    expect(root.querySelectorAll("[data-testid=history-restore]")).toHaveLength(1);
    await click("[data-testid=history-restore]");
    expect(called("record_restore")).toEqual([{ id: "r1", version: 1 }]);
    expect(notices).toEqual(["The value was put back."]);
    expect((await find<HTMLInputElement>("[data-testid=field-merchant]")).value).toBe("Acme Inc");
  });
});
