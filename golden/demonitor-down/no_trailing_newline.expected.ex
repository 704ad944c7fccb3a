defmodule Golden.DemonitorDown.NoTrailingNewline do
  use GenServer
  def init(state), do: {:ok, state}
  def handle_info({:DOWN, ref, :process, _pid, _reason}, state) do
    Process.demonitor(ref, [:flush])
    {:noreply, Map.delete(state, ref)}
  end
end