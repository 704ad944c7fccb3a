defmodule Golden.DemonitorDown.NameClash do
  use GenServer

  def init(state), do: {:ok, state}

  def handle_info({:DOWN, _, :process, pid, _reason}, %{ref: ref} = state) do
    {:noreply, %{state | ref: ref, pids: List.delete(state.pids, pid)}}
  end

  def handle_info({:DOWN, _ref, :process, ref, _reason}, state) do
    {:noreply, Map.delete(state, ref)}
  end
end
