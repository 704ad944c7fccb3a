defmodule Golden.UnusedIgnore.FileLevelMisplaced do
  # otpfix:ignore-file demonitor-down
  def handle_info({:DOWN, ref, :process, _pid, _reason}, state) do
    Process.demonitor(ref, [:flush])
    {:noreply, state}
  end
end
