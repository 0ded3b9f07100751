export function EnrollScreen() {
  return <h1>EnrollScreen</h1>;
}
