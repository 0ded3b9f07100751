import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useSearchParams } from "react-router";
import { api, type Page } from "../../api/client";
import type { FollowUp } from "../../api/types";
import { ProblemBanner } from "../../components/ProblemBanner";
import { codeLabel } from "../../lib/labels";
import { formatDateTime } from "../../lib/time";
import { useClinic } from "../../session";

const BUCKETS = ["due", "overdue", "upcoming", "failed", "sent", "acknowledged"] as const;

/** The desk's follow-ups: reminders due, no-show reviews, unbooked integrations, by bucket. */
export function FollowUpQueueScreen() {
  const clinic = useClinic();
  const [params, setParams] = useSearchParams();
  const bucket = params.get("bucket") ?? "due";
  const queryClient = useQueryClient();

  const queue = useQuery({
    queryKey: ["followups", clinic.id, bucket],
    queryFn: ({ signal }) => api.get<Page<FollowUp>>("/followups/", { clinic: clinic.id, bucket }, signal),
    refetchInterval: 60_000,
  });
  const ack = useMutation({
    mutationFn: (id: number) => api.post<FollowUp>(`/followups/${id}/acknowledge/`),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ["followups"] }),
  });

  return (
    <section aria-labelledby="fu-title">
      <h1 id="fu-title">Follow-ups</h1>
      <div role="group" aria-label="Bucket" className="segmented toolbar">
        {BUCKETS.map((b) => (
          <button key={b} type="button" aria-pressed={bucket === b} onClick={() => setParams({ bucket: b }, { replace: true })}>
            {codeLabel(b)}
          </button>
        ))}
      </div>
      <ProblemBanner error={queue.error ?? ack.error} />
      {queue.data && (
        <table>
          <caption className="sr-only">Follow-ups: {bucket}</caption>
          <thead>
            <tr>
              <th scope="col">Due</th>
              <th scope="col">What</th>
              <th scope="col">Patient</th>
              <th scope="col">Channel</th>
              <th scope="col">Status</th>
              <th scope="col">
                <span className="sr-only">Action</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {queue.data.results.map((f) => (
              <tr key={f.id}>
                <td>{formatDateTime(f.due_at, clinic.timezone)}</td>
                <td>{codeLabel(f.kind)}</td>
                <td>{f.patient ? `Patient #${f.patient}` : "—"}</td>
                <td>{codeLabel(f.channel)}</td>
                <td>
                  {codeLabel(f.status)}
                  {f.last_error && <span className="muted"> ({f.last_error})</span>}
                </td>
                <td>
                  {!f.acknowledged_at && (
                    <button type="button" className="btn-secondary" disabled={ack.isPending} onClick={() => ack.mutate(f.id)}>
                      Acknowledge
                    </button>
                  )}
                </td>
              </tr>
            ))}
            {queue.data.results.length === 0 && (
              <tr>
                <td colSpan={6}>Nothing {bucket}.</td>
              </tr>
            )}
          </tbody>
        </table>
      )}
    </section>
  );
}
