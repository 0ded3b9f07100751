export function PatientsScreen() {
  return <h1>PatientsScreen</h1>;
}
