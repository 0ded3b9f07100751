// The controlled-substance ledger's reads (containers, products, registrations, policy) and types.
import { useQuery } from "@tanstack/react-query";
import { api, type Page } from "./client";
import type { components } from "./schema";

type S = components["schemas"];
export type Container = S["Container"];
export type Product = S["Product"];
export type Registration = S["Registration"];
export type Entry = S["Entry"];
export type CountSheetContainer = S["CountSheetContainer"];
export type Count = S["Count"];
export type Discrepancy = S["Discrepancy"];
export type Policy = S["Policy"];
export type Reconciliation = S["Reconciliation"];
export type DistributionSummary = S["DistributionSummary"];

export const P = "/controlled";

/** Roles that read the ledger, handle stock (receive, draw, waste, witness, count) and read its reports. */
export const LEDGER_ROLES = ["nurse", "prescriber", "admin"] as const;
export const STOCK_ROLES = ["nurse", "prescriber"] as const;
export const REPORT_ROLES = ["prescriber", "admin"] as const;

export const ledgerKeys = {
  containers: (clinicId: number) => ["ledger", "containers", clinicId] as const,
  pendingWastes: ["ledger", "pending-wastes"] as const,
  sessionDraws: (sessionId: number) => ["ledger", "session-draws", sessionId] as const,
};

export function useContainers(clinicId: number, enabled = true) {
  return useQuery({
    queryKey: ledgerKeys.containers(clinicId),
    queryFn: () => api.get<Page<Container>>(`${P}/containers/`, { clinic: clinicId, page_size: 200 }),
    select: (page) => page.results,
    enabled,
  });
}

export function useProducts(enabled = true) {
  return useQuery({
    queryKey: ["ledger", "products"],
    queryFn: () => api.get<Page<Product>>(`${P}/products/`, { page_size: 200 }),
    select: (page) => new Map(page.results.map((p) => [p.id, p])),
    staleTime: 5 * 60_000,
    enabled,
  });
}

export function useRegistrations(clinicId: number, enabled = true) {
  return useQuery({
    queryKey: ["ledger", "registrations", clinicId],
    queryFn: () => api.get<Page<Registration>>(`${P}/registrations/`, { clinic: clinicId, page_size: 200 }),
    select: (page) => page.results.filter((r) => r.active),
    staleTime: 5 * 60_000,
    enabled,
  });
}

export function usePolicy(clinicId: number, enabled = true) {
  return useQuery({
    queryKey: ["ledger", "policy", clinicId],
    queryFn: () => api.get<Policy>(`${P}/policies/${clinicId}/`),
    staleTime: 5 * 60_000,
    enabled,
  });
}

/** The draws of one session's doses: each dose's container and lot, for the chart. */
export function useSessionDraws(sessionId: number, enabled = true) {
  return useQuery({
    queryKey: ledgerKeys.sessionDraws(sessionId),
    queryFn: () => api.get<Page<Entry>>(`${P}/entries/`, { session: sessionId, kind: "draw", page_size: 200 }),
    select: (page) => new Map(page.results.filter((e) => e.dose !== null).map((e) => [e.dose as number, e])),
    enabled,
  });
}

/** "Ketamine HCl 50 mg/mL, lot KET-55 (#12)" */
export function containerName(container: Pick<Container, "id" | "lot_number" | "product">, products?: Map<number, Product>): string {
  const product = products?.get(container.product);
  return `${product ? `${product.name} ${product.strength}, ` : ""}lot ${container.lot_number} (#${container.id})`;
}

/** A quantity as the ledger moves it: whole devices for nasal devices, mg otherwise. */
export function quantityLabel(mg: string | null | undefined, product?: Product): string {
  if (mg === null || mg === undefined) return "—";
  if (product?.unit_mg) {
    const devices = Math.round(Math.abs(Number(mg)) / Number(product.unit_mg));
    return `${mg} mg (${devices} device${devices === 1 ? "" : "s"})`;
  }
  return `${mg} mg`;
}
