export function FollowUpQueueScreen() {
  return <h1>FollowUpQueueScreen</h1>;
}
