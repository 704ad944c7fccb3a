defmodule Golden.UnusedIgnore.UnusedEndOfLine do
  def handle_info({:DOWN, ref, :process, _pid, _reason}, state) do   # otpfix:ignore demonitor-down -- old
    Process.demonitor(ref, [:flush])
    {:noreply, state}
  end

  def other(x), do: x
end
