import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { ApiError, api } from "../../api/client";
import { containerName, P, quantityLabel, useProducts, useRegistrations, type Container } from "../../api/ledger";
import { Field, TextField } from "../../components/Field";
import { ProblemBanner } from "../../components/ProblemBanner";
import { addDays, localDate, localTime, zonedIso } from "../../lib/time";
import { useClinic } from "../../session";
import { credentialsBody, noCredentials, SecondPerson } from "./SecondPerson";

const SHOWN = ["registration", "product", "kind", "lot_number", "expires_on", "quantity_mg", "devices", "supplier", "invoice", "received_at", "checked_by"];

/** Receive one container into the cabinet, checked in by a second person who signs here. */
export function ReceiveScreen() {
  const clinic = useClinic();
  const queryClient = useQueryClient();
  const products = useProducts();
  const registrations = useRegistrations(clinic.id);
  const today = localDate(new Date(), clinic.timezone);
  const [f, setF] = useState({ registration: "", product: "", kind: "vial", lot_number: "", expires_on: addDays(today, 365), quantity: "", supplier: "", invoice: "", date: today, time: localTime(new Date(), clinic.timezone) });
  const [checker, setChecker] = useState(noCredentials);
  const [received, setReceived] = useState<Container | null>(null);
  const set = (k: keyof typeof f) => (v: string) => setF({ ...f, [k]: v });
  const registration = f.registration || String(registrations.data?.[0]?.id ?? "");
  const product = products.data?.get(Number(f.product));
  const devices = !!product?.unit_mg;
  const receive = useMutation({
    mutationFn: () =>
      api.post<Container>(`${P}/containers/`, {
        clinic: clinic.id,
        registration: Number(registration),
        product: Number(f.product),
        kind: devices ? "device_pack" : f.kind,
        lot_number: f.lot_number.trim(),
        expires_on: f.expires_on,
        received_at: zonedIso(f.date, f.time, clinic.timezone),
        supplier: f.supplier,
        invoice: f.invoice,
        ...(devices ? { devices: Number(f.quantity) } : { quantity_mg: f.quantity }),
        checked_by: credentialsBody(checker),
      }),
    onSuccess: async (container) => {
      setReceived(container);
      setChecker(noCredentials);
      setF({ ...f, lot_number: "", quantity: "", invoice: "" });
      await queryClient.invalidateQueries({ queryKey: ["ledger"] });
    },
  });
  const problem = receive.error instanceof ApiError ? receive.error.problem : null;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setReceived(null);
    receive.mutate();
  };
  return (
    <section aria-labelledby="receive-title">
      <h1 id="receive-title">Receive a lot</h1>
      {received && (
        <p role="status" className="banner banner-ok">
          Received {containerName(received, products.data)}: {quantityLabel(received.on_hand_mg, products.data?.get(received.product))} on hand.
        </p>
      )}
      <form className="card" onSubmit={submit} aria-label="Receive a lot">
        <ProblemBanner error={receive.error} shownFields={SHOWN} />
        <div className="grid2">
          <Field label="DEA registration" name="registration" problem={problem}>
            {(p) => (
              <select {...p} value={registration} onChange={(e) => set("registration")(e.target.value)}>
                {(registrations.data ?? []).map((r) => (
                  <option key={r.id} value={r.id}>{r.number} ({r.name})</option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Product" name="product" problem={problem}>
            {(p) => (
              <select {...p} value={f.product} onChange={(e) => set("product")(e.target.value)} required>
                <option value="">Choose…</option>
                {[...(products.data?.values() ?? [])].map((pr) => (
                  <option key={pr.id} value={pr.id}>{pr.name} {pr.strength} (NDC {pr.ndc})</option>
                ))}
              </select>
            )}
          </Field>
          {!devices && (
            <Field label="Container" name="kind" problem={problem}>
              {(p) => (
                <select {...p} value={f.kind} onChange={(e) => set("kind")(e.target.value)}>
                  <option value="vial">Vial</option>
                  <option value="ampoule">Ampoule</option>
                </select>
              )}
            </Field>
          )}
          <TextField label="Lot number" name="lot_number" value={f.lot_number} onChange={set("lot_number")} problem={problem} required />
          <TextField label="Expires on" name="expires_on" type="date" value={f.expires_on} onChange={set("expires_on")} problem={problem} required />
          {devices ? (
            <TextField label="Devices in the pack" name="devices" value={f.quantity} onChange={set("quantity")} problem={problem} inputMode="numeric" hint={`${product?.unit_mg} mg each`} required />
          ) : (
            <TextField label="Quantity (mg)" name="quantity_mg" value={f.quantity} onChange={set("quantity")} problem={problem} hint={product?.concentration_mg_per_ml ? `${product.concentration_mg_per_ml} mg/ml: 500 mg is a 10 ml vial` : undefined} required />
          )}
          <TextField label="Supplier" name="supplier" value={f.supplier} onChange={set("supplier")} problem={problem} required />
          <TextField label="Invoice or DEA Form 222 number" name="invoice" value={f.invoice} onChange={set("invoice")} problem={problem} />
          <TextField label={`Received on (${clinic.timezone})`} name="received_at" type="date" value={f.date} onChange={set("date")} problem={problem} />
          <TextField label="Received at" name="received_time" type="time" value={f.time} onChange={set("time")} problem={problem} />
        </div>
        <SecondPerson name="checked_by" legend="Checked in by" value={checker} onChange={setChecker} problem={problem} />
        <button type="submit" className="btn-primary" disabled={receive.isPending}>Receive</button>
      </form>
    </section>
  );
}
