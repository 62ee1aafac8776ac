// The unlocked app: navigation, global search, shortcuts. To add a screen,
// add it to View (../ctx.ts), an entry to SCREENS and a component for it.
import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { listen } from "@tauri-apps/api/event";
import { api } from "../api";
import type { Brand, KindSpec, SyncOutcome } from "../bindings";
import { HealthBanner } from "../components/health_banner";
import { errorText } from "../format";
import { shortcutFor } from "../keys";
import { syncNotice } from "../sync_format";
import type { Ctx, View } from "../ctx";
import { ActivityScreen } from "./activity";
import { BrandsScreen } from "./brands";
import { DiscoverScreen } from "./discover";
import { ExposureScreen } from "./exposure";
import { RecordsScreen } from "./records";
import { RightsScreen } from "./rights";
import { SearchResults } from "./search";
import { SettingsScreen } from "./settings";
import { ShareScreen } from "./share";
import { SharesScreen } from "./shares";
import { TermsScreen } from "./terms";
import { TransferScreen } from "./transfer";
import { IntentsScreen } from "./intents";

const SCREENS: { id: View["screen"]; label: string }[] = [
  { id: "brands", label: "Brands" },
  { id: "discover", label: "Bring in from email" },
  { id: "records", label: "Records" },
  { id: "terms", label: "Terms" },
  { id: "share", label: "Share" },
  { id: "shares", label: "Shares" },
  { id: "exposure", label: "Exposure" },
  { id: "rights", label: "Rights" },
  { id: "activity", label: "Activity" },
  { id: "intents", label: "Intents" },
  { id: "transfer", label: "Import & export" },
  { id: "settings", label: "Settings" },
];

export function Main(props: { onLock: () => void }) {
  const [specs, setSpecs] = useState<KindSpec[]>([]);
  const [brands, setBrands] = useState<Brand[]>([]);
  const [view, setView] = useState<View>({ screen: "brands" });
  const [query, setQuery] = useState("");
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const searchBox = useRef<HTMLInputElement>(null);

  const refreshBrands = async () => setBrands(await api.brandsList());
  useEffect(() => {
    Promise.all([api.kindSpecs().then(setSpecs), refreshBrands()]).catch((e) => setError(errorText(e)));
  }, []);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const s = shortcutFor(e);
      if (!s) return;
      e.preventDefault();
      if (s === "search") searchBox.current?.focus();
      if (s === "lock") props.onLock();
      if (s === "new-record") {
        setQuery("");
        setView({ screen: "records", recordId: "new" });
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [props.onLock]);

  const notify = (text: string) => {
    setNotice(text);
    window.setTimeout(() => setNotice((n) => (n === text ? null : n)), 4000);
  };
  // Changes another device made arrive in the background: say so (the
  // screens show them when next opened; a sync is not the person's
  // activity, so nothing is fetched for it here).
  useEffect(() => {
    const unlisten = listen<SyncOutcome>("sync-finished", (e) => {
      const text = syncNotice(e.payload);
      // Never over what the person just did ("Saved."): a background
      // sync's notice waits its turn, or is dropped (the screens show the
      // changes anyway).
      if (text) {
        setNotice((n) => {
          if (n !== null) return n;
          window.setTimeout(() => setNotice((m) => (m === text ? null : m)), 4000);
          return text;
        });
      }
    });
    return () => {
      unlisten.then((f) => f()).catch(() => undefined);
    };
  }, []);
  const go = (v: View) => {
    setQuery("");
    setView(v);
  };
  const ctx: Ctx = { specs, brands, refreshBrands, go, notify };

  let body: ComponentChildren;
  if (query.trim() !== "") body = <SearchResults query={query} ctx={ctx} />;
  else if (view.screen === "brands") body = <BrandsScreen brandId={view.brandId} from={view.from} ctx={ctx} />;
  else if (view.screen === "discover") body = <DiscoverScreen ctx={ctx} />;
  else if (view.screen === "records") body = <RecordsScreen recordId={view.recordId} ctx={ctx} />;
  else if (view.screen === "terms") body = <TermsScreen ctx={ctx} />;
  else if (view.screen === "share") body = <ShareScreen ctx={ctx} />;
  else if (view.screen === "shares") body = <SharesScreen ctx={ctx} />;
  else if (view.screen === "exposure") body = <ExposureScreen ctx={ctx} />;
  else if (view.screen === "rights") body = <RightsScreen ctx={ctx} />;
  else if (view.screen === "activity") body = <ActivityScreen ctx={ctx} />;
  else if (view.screen === "transfer") body = <TransferScreen ctx={ctx} />;
  else if (view.screen === "intents") body = <IntentsScreen intentId={view.intentId} ctx={ctx} />;
  else body = <SettingsScreen ctx={ctx} />;

  return (
    <div class="layout">
      <nav class="sidebar" aria-label="Sections">
        <div class="brand-mark">VRM Vault</div>
        {SCREENS.map((s) => (
          <button class={view.screen === s.id && !query ? "nav active" : "nav"} data-testid={`nav-${s.id}`}
            onClick={() => go({ screen: s.id } as View)}>
            {s.label}
          </button>
        ))}
      </nav>
      <div class="content">
        <header class="topbar">
          <input ref={searchBox} type="search" class="search" placeholder="Search everything (Ctrl+F)"
            value={query} onInput={(e) => setQuery(e.currentTarget.value)} data-testid="search" aria-label="Search" />
          <button onClick={() => go({ screen: "records", recordId: "new" })} data-testid="new-record" title="Ctrl+N">
            New record
          </button>
          <button class="secondary" onClick={props.onLock} data-testid="lock" title="Ctrl+L">Lock</button>
        </header>
        <HealthBanner refresh={brands} />
        {notice && <p class="notice" role="status">{notice}</p>}
        {error && <p class="error" role="alert">{error}</p>}
        <section class="page">{body}</section>
      </div>
    </div>
  );
}
