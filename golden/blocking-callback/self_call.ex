defmodule Golden.BlockingCallback.SelfCall do
  use GenServer

  def start_link(opts), do: GenServer.start_link(__MODULE__, :ok, name: __MODULE__)
  def refresh, do: GenServer.call(__MODULE__, :refresh)
  def stats(server), do: GenServer.call(server, :stats)

  def init(:ok), do: {:ok, %{}}

  def handle_call(:refresh, _from, state), do: {:reply, :ok, state}
  def handle_call(:stats, _from, state), do: {:reply, state, state}

  # handle_info -> refresh/0 -> GenServer.call(__MODULE__, ...): exits with :calling_self.
  def handle_info(:tick, state) do
    refresh()
    {:noreply, state}
  end

  def handle_info(:stats, state) do
    _ = GenServer.call(self(), :stats)
    {:noreply, state}
  end

  def handle_cast({:ask, other}, state) do
    answer = GenServer.call(other, :question, :infinity)
    {:noreply, Map.put(state, :answer, answer)}
  end

  def handle_cast({:wait, task}, state) do
    {:noreply, Map.put(state, :result, Task.await(task, :infinity))}
  end
end
