// The chart's reads and writes: one query per session chart, refetched after every write, so what
// the server decided (alerts raised, gate items met) shows at once.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "./client";
import type { components } from "./schema";

type S = components["schemas"];
export type SessionChart = S["SessionChart"];
export type ChecklistStatus = S["ChecklistStatus"];
export type ClinicalNote = S["ClinicalNote"];
export type Alert = S["Alert"];
export type VitalSign = S["VitalSign"];
export type ScaleTrend = S["ScaleTrend"];
export type ChartLimits = S["ChartLimits"];
export type PatientWeight = S["PatientWeight"];

export interface ChecklistItem {
  item: string;
  detail: string;
  ready_at?: string;
  override?: { reason: string; by: number; at: string };
}

export const chartKey = (sessionId: number) => ["chart", sessionId] as const;

export function useChart(sessionId: number) {
  return useQuery({ queryKey: chartKey(sessionId), queryFn: () => api.get<SessionChart>(`/chart/sessions/${sessionId}/`) });
}

export function useLimits(sessionId: number) {
  return useQuery({
    queryKey: ["chart-limits", sessionId],
    queryFn: () => api.get<ChartLimits>(`/chart/sessions/${sessionId}/limits/`),
    staleTime: 5 * 60_000,
  });
}

export function useWeights(patientId: number | undefined) {
  return useQuery({
    queryKey: ["weights", patientId],
    queryFn: () => api.get<PatientWeight[]>(`/patients/${patientId}/weights/`),
    enabled: !!patientId,
  });
}

/** A write on the chart: POST, then refetch the chart (and whatever else the caller names). */
export function useChartWrite<T = unknown>(sessionId: number, path: string, also: readonly (readonly unknown[])[] = []) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: unknown) => api.post<T>(path, body),
    onSuccess: async () => {
      await Promise.all([chartKey(sessionId), ...also].map((key) => queryClient.invalidateQueries({ queryKey: key })));
    },
  });
}
