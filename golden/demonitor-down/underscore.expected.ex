defmodule Golden.DemonitorDown.Underscore do
  use GenServer

  def init(state), do: {:ok, state}

  def handle_info({:DOWN, ref, :process, pid, _}, state) do
    Process.demonitor(ref, [:flush])
    {:noreply, Map.delete(state, pid)}
  end
end
