defmodule Golden.DemonitorDown.OneLiner do
  use GenServer

  def init(state), do: {:ok, state}

  def handle_info({:DOWN, ref, :process, pid, _}, state) do
    Process.demonitor(ref, [:flush])
    {:noreply, Map.delete(state, pid)}
  end

  def handle_info({:DOWN, ref, _, _, _}, state) when is_map_key(state, ref) do
    Process.demonitor(ref, [:flush])
    {:noreply, Map.delete(state, ref)}
  end

  def handle_info(_msg, state), do: {:noreply, state}
end
