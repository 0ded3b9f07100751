export function DayBoardScreen() {
  return <h1>DayBoardScreen</h1>;
}
