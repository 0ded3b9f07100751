import { describe, expect, it } from "vitest";
import { containerName, quantityLabel, type Product } from "./ledger";

const vial = { id: 7, name: "Ketamine HCl", strength: "50 mg/mL", unit_mg: null } as unknown as Product;
const spray = { id: 8, name: "Esketamine (Spravato)", strength: "28 mg per device", unit_mg: "28.00" } as unknown as Product;

describe("ledger labels", () => {
  it("names a container by product, lot and number", () => {
    expect(containerName({ id: 12, lot_number: "KET-55", product: 7 }, new Map([[7, vial]]))).toBe("Ketamine HCl 50 mg/mL, lot KET-55 (#12)");
    expect(containerName({ id: 12, lot_number: "KET-55", product: 7 })).toBe("lot KET-55 (#12)");
  });

  it("counts nasal devices whole and everything else in mg", () => {
    expect(quantityLabel("84.00", spray)).toBe("84.00 mg (3 devices)");
    expect(quantityLabel("-28.00", spray)).toBe("-28.00 mg (1 device)");
    expect(quantityLabel("358.61", vial)).toBe("358.61 mg");
    expect(quantityLabel(null, vial)).toBe("—");
  });
});
