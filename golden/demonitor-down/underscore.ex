defmodule Golden.DemonitorDown.Underscore do
  use GenServer

  def init(state), do: {:ok, state}

  def handle_info({:DOWN, _, :process, pid, _}, state) do
    {:noreply, Map.delete(state, pid)}
  end
end
