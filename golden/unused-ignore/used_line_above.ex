defmodule Golden.UnusedIgnore.UsedLineAbove do
  # otpfix:ignore demonitor-down -- the monitor is released by the registry
  def handle_info({:DOWN, _ref, :process, _pid, _reason}, state) do
    {:noreply, state}
  end

  # A plain comment between the marker and the code is stepped over.
  # otpfix:ignore demonitor-down
  # why: same as above
  def handle_info({:DOWN, _ref, :port, _port, _reason}, state), do: {:noreply, state}
end
