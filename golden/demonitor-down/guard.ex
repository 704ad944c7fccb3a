defmodule Golden.DemonitorDown.Guard do
  use GenServer

  def init(state), do: {:ok, state}

  def handle_info({:DOWN, ref, :process, pid, reason}, state) when reason != :normal do
    {:noreply, Map.put(state, pid, {ref, reason})}
  end

  def handle_info({:DOWN, _ref, :process, pid, :normal}, state) do
    {:noreply, Map.delete(state, pid)}
  end
end
