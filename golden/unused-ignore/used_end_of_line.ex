defmodule Golden.UnusedIgnore.UsedEndOfLine do
  # The marker suppresses the demonitor-down finding on its own line: nothing to report.
  def handle_info({:DOWN, _ref, :process, _pid, _reason}, state) do # otpfix:ignore demonitor-down
    {:noreply, state}
  end
end
