// Who is signed in, at which clinic, and the idle timeout that sends them back to the login.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { api, onUnauthorized, tokenStore } from "./api/client";
import type { Me, MeClinic } from "./api/types";

/** Matches the server's token idle timeout (TOKEN_IDLE_TIMEOUT_MINUTES); the server is the judge. */
export const IDLE_TIMEOUT_MS = 30 * 60 * 1000;
export const CLINICAL_ROLES = ["nurse", "prescriber", "therapist"] as const;
// Roles that work with patients at the desk (the API's CARE_TEAM: admins hold no patient reads).
export const DESK_ROLES = ["scheduler", "nurse", "prescriber", "therapist"] as const;

const CLINIC_KEY = "kat.clinic";

interface SessionValue {
  token: string | null;
  me: Me | undefined;
  clinic: MeClinic | undefined;
  roles: string[];
  setClinic: (id: number) => void;
  signIn: (token: string) => void;
  signOut: (reason?: string) => Promise<void>;
  signedOutReason: string | null;
}

const SessionContext = createContext<SessionValue | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const [token, setToken] = useState<string | null>(() => tokenStore.get());
  const [clinicId, setClinicId] = useState<number | null>(() => Number(sessionStorage.getItem(CLINIC_KEY)) || null);
  const [signedOutReason, setSignedOutReason] = useState<string | null>(null);

  const me = useQuery({ queryKey: ["me", token], queryFn: () => api.get<Me>("/me/"), enabled: !!token, staleTime: Infinity });

  const forget = useCallback(
    (reason: string | null) => {
      tokenStore.clear();
      sessionStorage.removeItem(CLINIC_KEY);
      setToken(null);
      setClinicId(null);
      setSignedOutReason(reason);
      queryClient.clear();
    },
    [queryClient],
  );

  const signOut = useCallback(
    async (reason?: string) => {
      if (tokenStore.get()) await api.post("/auth/logout/").catch(() => undefined);
      forget(reason ?? null);
    },
    [forget],
  );

  useEffect(() => {
    onUnauthorized(() => forget("Your session ended. Please sign in again."));
    return () => onUnauthorized(null);
  }, [forget]);

  // Idle timeout: no key, click or touch for the period signs out.
  useEffect(() => {
    if (!token) return;
    let timer = window.setTimeout(expire, IDLE_TIMEOUT_MS);
    function expire() {
      void signOut("You were signed out after 30 minutes without activity.");
    }
    function activity() {
      window.clearTimeout(timer);
      timer = window.setTimeout(expire, IDLE_TIMEOUT_MS);
    }
    const events = ["keydown", "pointerdown", "wheel", "touchstart"] as const;
    events.forEach((e) => window.addEventListener(e, activity, { passive: true }));
    return () => {
      window.clearTimeout(timer);
      events.forEach((e) => window.removeEventListener(e, activity));
    };
  }, [token, signOut]);

  const clinics = me.data?.clinics ?? [];
  const clinic = clinics.find((c) => c.id === clinicId) ?? clinics[0];

  const value = useMemo<SessionValue>(
    () => ({
      token,
      me: me.data,
      clinic,
      roles: clinic?.roles ?? [],
      setClinic: (id: number) => {
        sessionStorage.setItem(CLINIC_KEY, String(id));
        setClinicId(id);
      },
      signIn: (t: string) => {
        tokenStore.set(t);
        setSignedOutReason(null);
        setToken(t);
      },
      signOut,
      signedOutReason,
    }),
    [token, me.data, clinic, signOut, signedOutReason],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error("useSession outside SessionProvider");
  return value;
}

/** The signed-in clinic; screens under the app shell may assume it is there. */
export function useClinic(): MeClinic {
  const { clinic } = useSession();
  if (!clinic) throw new Error("No clinic selected");
  return clinic;
}

export function hasAnyRole(roles: readonly string[], wanted: readonly string[]): boolean {
  return roles.some((r) => wanted.includes(r));
}
