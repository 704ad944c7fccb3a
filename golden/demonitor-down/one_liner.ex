defmodule Golden.DemonitorDown.OneLiner do
  use GenServer

  def init(state), do: {:ok, state}

  def handle_info({:DOWN, _ref, :process, pid, _}, state), do: {:noreply, Map.delete(state, pid)}

  def handle_info({:DOWN, ref, _, _, _}, state) when is_map_key(state, ref),
    do: {:noreply, Map.delete(state, ref)}

  def handle_info(_msg, state), do: {:noreply, state}
end
