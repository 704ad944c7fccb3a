defmodule Golden.DemonitorDown.Crlf do
  use GenServer

  def init(state), do: {:ok, state}

  def handle_info({:DOWN, _ref, :process, pid, _reason}, state) do
    {:noreply, Map.delete(state, pid)}
  end

  def handle_info({:DOWN, _ref, _, _, _}, state), do: {:noreply, state}
end
