// What the unlocked app hands every screen: the shared lists, navigation
// and notices. Screens import it from here (not from screens/main.tsx,
// which imports the screens).
import type { Brand, KindSpec } from "./bindings";

/** What every screen gets: shared lists, navigation, a way to refresh. */
export type Ctx = {
  specs: KindSpec[];
  brands: Brand[];
  refreshBrands: () => Promise<void>;
  go: (view: View) => void;
  notify: (text: string) => void;
};

/** Where the app is: a screen, and for some a brand, record or intent. */
export type View =
  | { screen: "brands"; brandId?: string; from?: "discover" }
  | { screen: "discover" }
  | { screen: "records"; recordId?: string | "new" }
  | { screen: "terms" }
  | { screen: "share" }
  | { screen: "shares" }
  | { screen: "exposure" }
  | { screen: "rights" }
  | { screen: "activity" }
  | { screen: "transfer" }
  | { screen: "settings" }
  | { screen: "intents"; intentId?: string | "new" };
