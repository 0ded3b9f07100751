export function CheckInPage() {
  return <h1>Check-in</h1>;
}
