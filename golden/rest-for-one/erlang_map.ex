defmodule Golden.RestForOne.ErlangMap do
  @behaviour :supervisor

  def start_link, do: :supervisor.start_link({:local, __MODULE__}, __MODULE__, [])

  @impl true
  def init([]) do
    children = [
      %{id: :table, start: {Golden.RestForOne.ErlangMap.Table, :start_link, []}},
      %{id: :reader, start: {Golden.RestForOne.ErlangMap.Reader, :start_link, []}}
    ]

    {:ok, {%{strategy: :one_for_one, intensity: 3, period: 5}, children}}
  end
end

defmodule Golden.RestForOne.ErlangMap.Table do
  use GenServer

  def start_link, do: GenServer.start_link(__MODULE__, :ok)

  @impl true
  def init(:ok) do
    :ets.new(:golden_erlang_map, [:named_table, :public])
    {:ok, nil}
  end
end

defmodule Golden.RestForOne.ErlangMap.Reader do
  def start_link, do: Task.start_link(fn -> :ets.lookup(:golden_erlang_map, :key) end)
end
