import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { ApiError, api } from "../../api/client";
import type { RideConfirmation, RideConfirmationRequest } from "../../api/types";
import { TextField } from "../../components/Field";
import { ProblemBanner } from "../../components/ProblemBanner";

const SHOWN = ["escort_name", "escort_phone", "escort_present"] as const;

/** The desk confirms who takes the patient home: the escort's name and phone, and whether they are here. */
export function RideConfirmForm({ sessionId, onDone }: { sessionId: number; onDone: (message: string) => void }) {
  const queryClient = useQueryClient();
  const [name, setName] = useState("");
  const [phone, setPhone] = useState("");
  const [present, setPresent] = useState(false);

  const confirm = useMutation({
    mutationFn: (body: RideConfirmationRequest) => api.post<RideConfirmation>("/chart/ride-confirmations/", body),
    onSuccess: (ride) => {
      onDone(`Ride home confirmed with ${ride.escort_name}${ride.escort_present ? ", who is here" : ""}.`);
      setName("");
      setPhone("");
      setPresent(false);
      void queryClient.invalidateQueries({ queryKey: ["day-board"] });
    },
  });
  const problem = confirm.error instanceof ApiError ? confirm.error.problem : null;

  function submit(e: FormEvent) {
    e.preventDefault();
    confirm.mutate({ session: sessionId, escort_name: name, escort_phone: phone, escort_present: present });
  }

  return (
    <form onSubmit={submit} className="subform" aria-labelledby={`ride-${sessionId}`}>
      <h3 id={`ride-${sessionId}`}>Confirm ride home</h3>
      <ProblemBanner error={confirm.error} shownFields={SHOWN} />
      <TextField label="Escort's name" name="escort_name" value={name} onChange={setName} problem={problem} required autoComplete="off" />
      <TextField label="Escort's phone" name="escort_phone" type="tel" inputMode="tel" value={phone} onChange={setPhone} problem={problem} required autoComplete="off" />
      <label className="check">
        <input type="checkbox" name="escort_present" checked={present} onChange={(e) => setPresent(e.target.checked)} /> The escort is here
      </label>
      <div className="actions">
        <button type="submit" className="btn-primary" disabled={confirm.isPending}>
          Confirm ride
        </button>
      </div>
    </form>
  );
}
