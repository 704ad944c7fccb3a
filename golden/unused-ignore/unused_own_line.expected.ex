defmodule Golden.UnusedIgnore.UnusedOwnLine do
  # Keep this comment.
  def handle_info({:DOWN, ref, :process, _pid, _reason}, state) do
    Process.demonitor(ref, [:flush])
    {:noreply, state}
  end
end
