defmodule Golden.AtomicRateLimit.Keypos2 do
  # The table is created with keypos: 2; objects are {:bucket, key, count}, so a bare
  # increment updates element 3.
  @limit 100

  def hit(tab, key) do
    count = :ets.update_counter(tab, key, 1, {:bucket, key, 0})

    if @limit >= count do
      {:ok, count}
    else
      :ets.update_counter(tab, key, -1)
      {:error, count}
    end
  end
end
