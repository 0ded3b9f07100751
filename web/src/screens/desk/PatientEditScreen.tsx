export function PatientEditScreen() {
  return <h1>PatientEditScreen</h1>;
}
