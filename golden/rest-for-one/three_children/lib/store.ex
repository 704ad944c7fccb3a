defmodule Golden.RestForOne.Three.Store do
  @moduledoc "Owns the :golden_three_table ETS table; the table dies with this process."
  use GenServer

  def start_link(_arg), do: GenServer.start_link(__MODULE__, :ok, name: __MODULE__)

  @impl true
  def init(:ok) do
    :ets.new(:golden_three_table, [:named_table, :public])
    {:ok, %{}}
  end

  @impl true
  def handle_call(:ping, _from, state), do: {:reply, :pong, state}
end
