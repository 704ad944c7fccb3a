defmodule Golden.BlockingCallback.RegisteredName do
  use GenServer

  def start_link(opts) do
    GenServer.start_link(__MODULE__, :ok, Keyword.put_new(opts, :name, Golden.Cache))
  end

  def init(:ok), do: {:ok, %{}}

  def handle_call(:get, _from, state), do: {:reply, state, state}

  # Calls itself through its registered name: deadlock.
  def handle_cast(:reload, _state) do
    {:noreply, GenServer.call(Golden.Cache, :get)}
  end

  # Another server, default timeout: not reported.
  def handle_cast(:sync, state) do
    {:noreply, Map.put(state, :other, GenServer.call(Golden.Other, :get))}
  end

  defmacro __using__(_opts) do
    quote do
      def handle_call(:slow, _from, state) do
        Process.sleep(100)
        {:reply, :ok, state}
      end
    end
  end
end
