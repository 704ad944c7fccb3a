defmodule Golden.RawSend.Pubsub do
  use GenServer

  def init(_), do: {:ok, %{subscribers: %{}}}

  def handle_call({:subscribe, pid}, _from, state) do
    ref = Process.monitor(pid)
    {:reply, :ok, put_in(state.subscribers[pid], ref)}
  end

  def handle_cast({:publish, message}, state) do
    for {pid, _ref} <- state.subscribers, do: send(pid, {:published, self(), message})
    Enum.each(Map.keys(state.subscribers), &send(&1, message))
    {:noreply, state}
  end

  def handle_info({:DOWN, _ref, :process, pid, _}, state) do
    {:noreply, %{state | subscribers: Map.delete(state.subscribers, pid)}}
  end
end
