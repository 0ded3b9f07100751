// Words for the chart's codes.
const ITEMS: Record<string, string> = {
  consent: "Consent",
  contraindication_screen: "Contraindication screen",
  rems_enrollment: "REMS enrollment",
  prior_authorization: "Prior authorization",
  ride_confirmed: "Escort for the ride home",
  fasting_confirmed: "Fasting",
  weight_recent: "Recent weight",
  pregnancy_test: "Pregnancy test",
  predose_vitals: "Pre-dose vitals",
  monitoring_time: "Monitoring time",
  vitals_in_limits: "Vitals in limits",
  sedation: "Sedation (MOAA/S)",
  escort_present: "Escort present",
};

export function itemLabel(item: string): string {
  if (item.startsWith("concomitant_medication:")) return "Concomitant medication";
  return ITEMS[item] ?? item.replace(/_/g, " ").replace(/^\w/, (c) => c.toUpperCase());
}

export const CONTRAINDICATION_LABELS: Record<string, string> = {
  uncontrolled_hypertension: "Uncontrolled hypertension",
  cardiovascular_disease: "Cardiovascular disease",
  aneurysmal_vascular_disease_or_avm: "Aneurysmal vascular disease or AVM",
  intracerebral_haemorrhage_history: "History of intracerebral haemorrhage",
  pregnancy: "Pregnancy",
  active_psychosis: "Active psychosis",
  substance_use_disorder: "Substance use disorder",
  severe_liver_disease: "Severe liver disease",
  raised_intracranial_pressure: "Raised intracranial pressure",
  raised_intraocular_pressure: "Raised intraocular pressure",
};

export const MOAAS: Record<number, string> = {
  5: "5: responds readily to name spoken in normal tone",
  4: "4: lethargic response to name",
  3: "3: responds only after name is called loudly or repeatedly",
  2: "2: responds only after mild prodding or shaking",
  1: "1: responds only to painful stimulus",
  0: "0: no response to painful stimulus",
};
