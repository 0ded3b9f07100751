import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { ApiError, api } from "../../api/client";
import { P, quantityLabel, type Container, type Entry, type Product } from "../../api/ledger";
import { TextField } from "../../components/Field";
import { ProblemBanner } from "../../components/ProblemBanner";
import { localDate, localTime, zonedIso } from "../../lib/time";
import { useClinic } from "../../session";
import { credentialsBody, noCredentials, SecondPerson } from "./SecondPerson";

/** Waste from a container with a reason, witnessed now (the witness signs here) or confirmed later. */
export function WastePanel({ container, product, onDone }: { container: Container; product?: Product; onDone: () => void }) {
  const clinic = useClinic();
  const queryClient = useQueryClient();
  const devices = !!product?.unit_mg;
  const [quantity, setQuantity] = useState(devices ? "1" : (container.on_hand_mg ?? ""));
  const [reason, setReason] = useState("");
  const [mode, setMode] = useState<"now" | "later">("now");
  const [witness, setWitness] = useState(noCredentials);
  const [done, setDone] = useState<Entry | null>(null);
  const waste = useMutation({
    mutationFn: () => {
      const now = new Date();
      return api.post<Entry>(`${P}/containers/${container.id}/waste/`, {
        ...(devices ? { devices: Number(quantity) } : { quantity_mg: quantity }),
        reason,
        occurred_at: zonedIso(localDate(now, clinic.timezone), localTime(now, clinic.timezone), clinic.timezone),
        ...(mode === "now" ? { witness: credentialsBody(witness) } : {}),
      });
    },
    onSuccess: async (entry) => {
      setDone(entry);
      setWitness(noCredentials);
      await queryClient.invalidateQueries({ queryKey: ["ledger"] });
    },
  });
  const problem = waste.error instanceof ApiError ? waste.error.problem : null;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    waste.mutate();
  };
  return (
    <section className="card" aria-labelledby="waste-title">
      <h2 id="waste-title">Waste from lot {container.lot_number} (#{container.id})</h2>
      <p>On hand: {quantityLabel(container.on_hand_mg, product)}</p>
      {done ? (
        <>
          <p role="status" className="banner banner-ok">
            Waste of {Math.abs(Number(done.change_mg)).toFixed(2)} mg recorded;{" "}
            {done.witnessed_by ? "witnessed." : "waiting for a witness to confirm it from their own session."} {done.balance_after_mg} mg left in the container.
          </p>
          <button type="button" className="btn-secondary" onClick={onDone}>Close</button>
        </>
      ) : (
        <form onSubmit={submit} aria-label="Waste">
          <ProblemBanner error={waste.error} shownFields={["quantity_mg", "devices", "reason", "witness"]} />
          <div className="grid2">
            {devices ? (
              <TextField label="Devices wasted" name="devices" value={quantity} onChange={setQuantity} problem={problem} inputMode="numeric" />
            ) : (
              <TextField label="Quantity wasted (mg)" name="quantity_mg" value={quantity} onChange={setQuantity} problem={problem} />
            )}
            <TextField label="Reason" name="reason" value={reason} onChange={setReason} problem={problem} hint="e.g. Rest of the opened vial, discarded" />
          </div>
          <fieldset className="choices">
            <legend>Witness</legend>
            <label className="choice">
              <input type="radio" name="witness-mode" checked={mode === "now"} onChange={() => setMode("now")} /> The witness is here and signs now
            </label>
            <label className="choice">
              <input type="radio" name="witness-mode" checked={mode === "later"} onChange={() => setMode("later")} /> The witness confirms later from their own session
              <span className="choice-desc">The registrant is alerted if nobody confirms it in time.</span>
            </label>
          </fieldset>
          {mode === "now" && <SecondPerson name="witness" legend="Witness" value={witness} onChange={setWitness} problem={problem} />}
          <div className="actions">
            <button type="submit" className="btn-primary" disabled={waste.isPending}>Record waste</button>
            <button type="button" className="btn-secondary" onClick={onDone}>Cancel</button>
          </div>
        </form>
      )}
    </section>
  );
}
