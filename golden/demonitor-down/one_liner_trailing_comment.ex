defmodule Golden.DemonitorDown.OneLinerTrailingComment do
  use GenServer

  def init(state), do: {:ok, state}

  def handle_info({:DOWN, _ref, :process, _pid, _reason}, s), do: {:noreply, Map.put(s, :k, 1)} # the comment stays here

  def handle_info(_msg, state), do: {:noreply, state}
end
