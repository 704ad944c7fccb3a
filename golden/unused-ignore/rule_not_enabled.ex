defmodule Golden.UnusedIgnore.RuleNotEnabled do
  # Only unused-ignore runs in this case: a marker for a rule that did not run is not judged.
  def handle_info(msg, state) do # otpfix:ignore demonitor-down
    {:noreply, {msg, state}}
  end
end
