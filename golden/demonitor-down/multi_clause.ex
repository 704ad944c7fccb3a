defmodule Golden.DemonitorDown.MultiClause do
  use GenServer

  def init(state), do: {:ok, state}

  def handle_info(:tick, state) do
    Process.send_after(self(), :tick, 1_000)
    {:noreply, state}
  end

  def handle_info({:DOWN, ref, :process, _pid, _reason}, %{workers: workers} = state) do
    {:noreply, %{state | workers: Map.delete(workers, ref)}}
  end

  def handle_info({:EXIT, _pid, _reason}, state) do
    {:noreply, state}
  end

  def handle_info({:DOWN, _ref, :port, _port, _reason}, state) do
    {:noreply, state}
  end

  def handle_info(_other, state), do: {:noreply, state}
end
