defmodule Golden.DemonitorOnRemove.DropAndPipe do
  use GenServer

  def init(_), do: {:ok, %{watchers: %{}}}

  def handle_call({:watch, pid}, _from, state) do
    ref = pid |> Process.monitor()
    {:reply, ref, put_in(state.watchers[pid], ref)}
  end

  def handle_call({:unwatch_all, pids}, _from, state) do
    {:reply, :ok, %{state | watchers: Map.drop(state.watchers, pids)}}
  end

  def handle_call({:unwatch, pid}, _from, state) do
    watchers = state.watchers |> Map.delete(pid)
    {:reply, :ok, %{state | watchers: watchers}}
  end
end
