// Reads several screens share, cached by TanStack Query.
import { useQuery } from "@tanstack/react-query";
import { api, type Page } from "./client";
import type { Room, StaffMember } from "./types";

export function useRooms(clinicId: number) {
  return useQuery({
    queryKey: ["rooms", clinicId],
    queryFn: () => api.get<Page<Room>>("/rooms/", { clinic: clinicId, page_size: 200 }),
    staleTime: 5 * 60_000,
    select: (page) => new Map(page.results.map((r) => [r.id, r])),
  });
}

export function useStaff() {
  return useQuery({
    queryKey: ["staff"],
    queryFn: () => api.get<Page<StaffMember>>("/staff/", { page_size: 200 }),
    staleTime: 5 * 60_000,
    select: (page) => new Map(page.results.map((s) => [s.id, `${s.first_name} ${s.last_name}${s.credentials_suffix ? `, ${s.credentials_suffix}` : ""}`])),
  });
}
